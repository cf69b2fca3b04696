"""Table-driven tests of the conflict engine's rules (spec section 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coordination.core.book import ClaimBook
from coordination.core.decisions import Context, decide, decide_item
from coordination.core.files import FileSet
from coordination.core.lifetimes import liveness
from coordination.core.model import ActiveClaim, Carve, ClaimItem, ClaimType, Outcome
from coordination.core.validation import Limits

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=4)
F, M, S = ClaimType.FILE, ClaimType.MODULE, ClaimType.SHARED_FILE


def held(
    id_: int,
    pattern: str,
    type_: ClaimType = F,
    symbols: tuple[str, ...] = (),
    engineer: str = "bob/claude/1",
    expires: datetime = LATER,
    narrowable: bool | None = None,
    session: str | None = None,
    carved: tuple[Carve, ...] = (),
    repo: str = "r",
    partners: tuple[int, ...] = (),
) -> ActiveClaim:
    if type_ is M and not pattern.endswith("/**"):
        pattern += "/**"
    return ActiveClaim(
        id=id_,
        repo_id=repo,
        engineer=engineer,
        type=type_,
        pattern=pattern,
        expires_at=expires,
        symbols=symbols,
        narrowable=(type_ is F) if narrowable is None else narrowable,
        session_id=session,
        carved=carved,
        partners=partners,
    )


def ctx(now: datetime = NOW, files: FileSet | None = None, idle: float = 0, seen=None) -> Context:
    return Context.build(files, liveness(now, idle, seen or {}))


def one(item: ClaimItem, *claims: ActiveClaim, engineer: str = "alex/claude/1", **kw):
    return decide_item(engineer, item, ClaimBook(claims), ctx(**kw))


PATH_CASES = [
    # new item, held claim, expected outcome
    (ClaimItem(F, "src/f1.py"), held(1, "src/*.py"), Outcome.CONFLICT),
    (ClaimItem(F, "src/*.py"), held(1, "src/f1.py"), Outcome.CONFLICT),
    (ClaimItem(F, "src/*.py"), held(1, "src/f*"), Outcome.CONFLICT),
    (ClaimItem(F, "src/a/**"), held(1, "src/**/x.py"), Outcome.CONFLICT),
    (ClaimItem(F, "src/**/x.ts"), held(1, "src/a/*.ts"), Outcome.CONFLICT),
    (ClaimItem(F, "**/*.py"), held(1, "docs/**"), Outcome.CONFLICT),
    (ClaimItem(F, "src/[ab]*.ts"), held(1, "src/c*.ts"), Outcome.GRANT),
    (ClaimItem(F, "src/*.ts"), held(1, "src/a/x.ts"), Outcome.GRANT),
    (ClaimItem(F, "{src,lib}/x.ts"), held(1, "lib/*.ts"), Outcome.CONFLICT),
    (ClaimItem(F, "a/**/b/**/c"), held(1, "a/b/c"), Outcome.CONFLICT),
    (ClaimItem(F, "*.md"), held(1, "docs/x.md"), Outcome.GRANT),
    (ClaimItem(F, "src/auth/login.ts"), held(1, "src/auth", M), Outcome.CONFLICT),
    (ClaimItem(M, "src/auth"), held(1, "src/auth/login.ts"), Outcome.CONFLICT),
    (ClaimItem(M, "src/auth"), held(1, "src/billing", M), Outcome.GRANT),
    (ClaimItem(S, "package.json"), held(1, "package.json", S), Outcome.GRANT),
    (ClaimItem(S, "package.json"), held(1, "package.json"), Outcome.CONFLICT),
    (ClaimItem(F, "package.json"), held(1, "package.json", S), Outcome.CONFLICT),
    (ClaimItem(F, "src/x.ts"), held(1, "src/y.ts"), Outcome.GRANT),
]


@pytest.mark.parametrize(("item", "claim", "expected"), PATH_CASES)
def test_path_rules(item: ClaimItem, claim: ActiveClaim, expected: Outcome) -> None:
    decision = one(item, claim)
    assert decision.outcome is expected
    if expected is Outcome.CONFLICT:
        assert decision.blocking == (claim,)


SYMBOL_CASES = [
    # Router::handleAuth and Router::handleLogout coexist
    (
        ("Router::handleAuth",),
        held(1, "src/r.ts", symbols=("Router::handleLogout",)),
        Outcome.AUTO_COEXIST,
    ),
    # a claim on the bare Router blocks both, and is blocked by either
    (("Router",), held(1, "src/r.ts", symbols=("Router::handleAuth",)), Outcome.CONFLICT),
    (("Router::handleAuth",), held(1, "src/r.ts", symbols=("Router",)), Outcome.CONFLICT),
    (("Outer::Inner::m",), held(1, "src/r.ts", symbols=("Outer::Inner",)), Outcome.CONFLICT),
    (("Outer::Other::m",), held(1, "src/r.ts", symbols=("Outer::Inner",)), Outcome.AUTO_COEXIST),
    (
        ("Router::handle",),
        held(1, "src/r.ts", symbols=("Router::handleAuth",)),
        Outcome.AUTO_COEXIST,
    ),
    # symbol claim vs a narrowable whole-file claim: AUTO_NARROW
    (("Router::handleAuth",), held(1, "src/r.ts"), Outcome.AUTO_NARROW),
    (("Router::handleAuth",), held(1, "src/*.ts"), Outcome.AUTO_NARROW),
    # ... but not against a non-narrowable file claim, a module or a shared file
    (("Router::handleAuth",), held(1, "src/r.ts", narrowable=False), Outcome.CONFLICT),
    (("Router::handleAuth",), held(1, "src", M), Outcome.CONFLICT),
    (("Router::handleAuth",), held(1, "src/r.ts", S), Outcome.CONFLICT),
    # whole-file claim vs an existing symbol claim: CONFLICT
    ((), held(1, "src/r.ts", symbols=("Router::handleAuth",)), Outcome.CONFLICT),
]


@pytest.mark.parametrize(("symbols", "claim", "expected"), SYMBOL_CASES)
def test_symbol_rules(symbols: tuple[str, ...], claim: ActiveClaim, expected: Outcome) -> None:
    decision = one(ClaimItem(F, "src/r.ts", symbols), claim)
    assert decision.outcome is expected
    if expected is Outcome.AUTO_COEXIST:
        assert decision.coexists_with == (claim,)
    if expected is Outcome.AUTO_NARROW:
        assert decision.narrowed == (claim,)


def test_symbols_already_carved_out_of_a_file_claim_still_take_their_own_carve() -> None:
    """A carve lives as long as the claim holding it: a second symbol claim inside
    an earlier carve narrows the holder again instead of riding on that carve."""
    claim = held(1, "src/r.ts", carved=(Carve("src/r.ts", "Router", 7),))
    decision = one(ClaimItem(F, "src/r.ts", ("Router::handleAuth",)), claim)
    assert decision.outcome is Outcome.AUTO_NARROW and decision.narrowed == (claim,)


def test_a_carve_is_keyed_by_path_and_symbol() -> None:
    """A carve of `Foo` in src/a.ts says nothing about `Foo` in src/b.ts."""
    glob = held(1, "src/*.ts", carved=(Carve("src/a.ts", "Foo", 7),))
    decision = one(ClaimItem(F, "src/b.ts", ("Foo",)), glob)
    assert decision.outcome is Outcome.AUTO_NARROW and decision.narrowed == (glob,)


def test_narrowed_file_claim_still_blocks_a_whole_file_claim() -> None:
    claim = held(1, "src/r.ts", carved=(Carve("src/r.ts", "Router", 7),))
    assert one(ClaimItem(F, "src/r.ts"), claim).outcome is Outcome.CONFLICT


def test_conflict_lists_every_blocking_claim_and_beats_coexist() -> None:
    a = held(1, "src/r.ts", symbols=("A",))
    b = held(2, "src/**")
    c = held(3, "src/r.ts", symbols=("B",), narrowable=False)
    decision = one(ClaimItem(F, "src/r.ts", ("B::m",)), a, b, c)
    assert decision.outcome is Outcome.CONFLICT
    assert decision.blocking == (c,)
    decision = one(ClaimItem(F, "src/r.ts"), a, b, c)
    assert {x.id for x in decision.blocking} == {1, 2, 3}


def test_narrow_and_coexist_together_report_both_partners() -> None:
    a = held(1, "src/r.ts", symbols=("A",))
    b = held(2, "src/r.ts", engineer="carol/codex/1")
    decision = one(ClaimItem(F, "src/r.ts", ("B",)), a, b)
    assert decision.outcome is Outcome.AUTO_NARROW
    assert decision.coexists_with == (a,) and decision.narrowed == (b,)


def test_engineer_never_conflicts_with_itself_and_refreshes_identical_scope() -> None:
    mine = held(1, "src/auth/**", engineer="alex/claude/1")
    decision = one(ClaimItem(F, "src/auth/**"), mine)
    assert decision.outcome is Outcome.GRANT and decision.refreshes == mine
    decision = one(ClaimItem(F, "src/auth/login.ts"), mine)
    assert decision.outcome is Outcome.GRANT and decision.refreshes is None


def test_module_refresh_matches_normalised_pattern() -> None:
    mine = held(1, "src/auth", M, engineer="alex/claude/1")
    assert one(ClaimItem(M, "src/auth"), mine).refreshes == mine


def test_repos_never_conflict_with_each_other() -> None:
    # One book per repo: a claim of another repo is simply not in this book.
    book = ClaimBook([held(1, "src/**", repo="other")])
    other_repo_book = ClaimBook()
    assert decide_item("alex", ClaimItem(F, "src/a.ts"), other_repo_book, ctx()).outcome is Outcome.GRANT
    assert decide_item("alex", ClaimItem(F, "src/a.ts"), book, ctx()).outcome is Outcome.CONFLICT


def test_expired_claims_never_block() -> None:
    gone = held(1, "src/**", expires=NOW)
    assert one(ClaimItem(F, "src/a.ts"), gone).outcome is Outcome.GRANT
    assert one(ClaimItem(F, "src/a.ts"), gone, now=NOW - timedelta(seconds=1)).outcome is Outcome.CONFLICT


def test_claims_of_idle_sessions_never_block() -> None:
    claim = held(1, "src/**", session="abcdef0123456789")
    seen = {"abcdef0123456789": NOW - timedelta(seconds=1801)}
    assert one(ClaimItem(F, "src/a.ts"), claim, idle=1800, seen=seen).outcome is Outcome.GRANT
    assert one(ClaimItem(F, "src/a.ts"), claim, idle=0, seen=seen).outcome is Outcome.CONFLICT
    fresh = {"abcdef0123456789": NOW - timedelta(seconds=10)}
    assert one(ClaimItem(F, "src/a.ts"), claim, idle=1800, seen=fresh).outcome is Outcome.CONFLICT


def test_tracked_files_decide_overlap_when_both_patterns_match_some() -> None:
    files = FileSet(["src/a.py", "src/b.ts", "docs/x.md"])
    # Globs overlap in theory (src/a.*), but share no tracked file.
    claim = held(1, "src/*.ts")
    assert one(ClaimItem(F, "src/a.*"), claim, files=files).outcome is Outcome.GRANT
    assert one(ClaimItem(F, "src/a.*"), claim).outcome is Outcome.CONFLICT
    # A new (untracked) file falls back to the exact glob test.
    assert one(ClaimItem(F, "src/new.ts"), claim, files=files).outcome is Outcome.CONFLICT


INVALID_CASES = [
    (ClaimItem(F, ""), "empty"),
    (ClaimItem(F, "/etc/passwd"), "absolute"),
    (ClaimItem(F, "src/../x"), ".."),
    (ClaimItem(F, "src/\x00x"), ""),
    (ClaimItem(F, "a" * 5000), ""),
    (ClaimItem(F, "src/[ab.ts"), "["),
    (ClaimItem(F, "src/{a,b.ts"), "{"),
    (ClaimItem(M, "src/r.ts", ("A",)), "only allowed on 'file'"),
    (ClaimItem(F, "src/*.ts", ("A",)), "single file path"),
    (ClaimItem(F, "src/r.ts", ("not a symbol",)), "malformed symbol"),
    (ClaimItem(F, "src/r.ts", ("A::",)), "malformed symbol"),
]


@pytest.mark.parametrize(("item", "reason"), INVALID_CASES)
def test_invalid_items_say_why(item: ClaimItem, reason: str) -> None:
    (decision,) = decide("alex", [item], ClaimBook(), ctx())
    assert decision.outcome is Outcome.INVALID
    assert decision.reason and reason in decision.reason


def test_claim_size_limits_against_tracked_files() -> None:
    files = FileSet([f"src/f{i}.py" for i in range(150)] + [f"docs/d{i}.md" for i in range(850)])
    limits = Limits(max_claim_files=100, max_claim_ratio=0.2)
    (d,) = decide("alex", [ClaimItem(F, "src/*.py")], ClaimBook(), ctx(), files, limits)
    assert d.outcome is Outcome.INVALID and "150 tracked files" in (d.reason or "")
    (d,) = decide("alex", [ClaimItem(F, "src/f1*.py")], ClaimBook(), ctx(), files, limits)
    assert d.outcome is Outcome.GRANT
    small = FileSet(["a.py", "b.py", "c.py"])
    (d,) = decide("alex", [ClaimItem(F, "*.py")], ClaimBook(), ctx(), small, limits)
    assert d.outcome is Outcome.INVALID and "of the repo" in (d.reason or "")
    (d,) = decide("alex", [ClaimItem(F, "a.py")], ClaimBook(), ctx(), small, limits)
    assert d.outcome is Outcome.GRANT  # a single file is never too much of the repo
    scoped = Limits(max_claim_files=100, max_claim_ratio=0.2, enforce_ratio=False)
    (d,) = decide("alex", [ClaimItem(F, "*.py")], ClaimBook(), ctx(), small, scoped)
    assert d.outcome is Outcome.GRANT


def test_refreshing_a_narrowed_claim_is_not_blocked_by_its_partners() -> None:
    mine = held(1, "src/r.ts", engineer="alex/claude/1", carved=(Carve("src/r.ts", "A", 2),), partners=(2,))
    partner = held(2, "src/r.ts", symbols=("A",), partners=(1,))
    decision = one(ClaimItem(F, "src/r.ts"), mine, partner)
    assert decision.outcome is Outcome.GRANT and decision.refreshes == mine
    stranger = held(3, "src/r.ts", symbols=("B",))
    assert one(ClaimItem(F, "src/r.ts"), mine, partner, stranger).blocking == (stranger,)
