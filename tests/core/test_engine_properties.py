"""Property tests: deciding through the claim index equals comparing with every claim.

The oracle below walks every held claim in id order and uses `relate` and
`globs.overlap` (or the FileSet's overlap) directly, with the engine's rules
for the requester's own claims and for renewals; the engine itself only looks
at the candidates the index hands back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.core import globs
from coordination.core.book import ClaimBook
from coordination.core.decisions import Context, _Relation, decide_item, effective_pattern, relate
from coordination.core.files import FileSet
from coordination.core.lifetimes import liveness
from coordination.core.model import ActiveClaim, Carve, ClaimItem, ClaimType, Outcome
from coordination.core.symbols import normalise
from tests.support.properties import examples

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ENGINEERS = ("ana/agent/1", "bo/agent/1", "cy/agent/1")
SYMBOLS = ("A", "A::m", "B")
TOKENS = ["a", "b", "x.py", "*", "?", "[ab]", "{a,b}", "*.py"]

segment_st = st.one_of(
    st.just("**"),
    st.sampled_from(["a", "b", "src", "x.py"]),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=2).map("".join),
)
pattern_st = st.lists(segment_st, min_size=1, max_size=4).map("/".join).filter(lambda p: globs.validate(p) is None)
# Literal paths from a handful, so symbol claims on the same file meet often.
literal_st = st.sampled_from(["x.py", "a/x.py", "src/x.py", "src/a/x.py"])
nonempty_symbols_st = st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=2).map(normalise)
symbols_st = st.one_of(st.just(()), nonempty_symbols_st)
type_st = st.sampled_from([ClaimType.FILE, ClaimType.FILE, ClaimType.MODULE, ClaimType.SHARED_FILE])

# A small tree for the tracked-file mode: some patterns match tracked files, some none.
PATH_SEGMENTS = ["a", "b", "src", "x.py", "ab.py"]
path_st = st.lists(st.sampled_from(PATH_SEGMENTS), min_size=1, max_size=3).map("/".join)

PROPERTY = settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


@st.composite
def held_claims(draw: st.DrawFn, files_only: bool = False) -> list[ActiveClaim]:
    """Up to 8 claims; with `files_only`, file claims on a few literal paths (symbols meet)."""
    claims: list[ActiveClaim] = []
    for claim_id in range(1, draw(st.integers(min_value=0, max_value=8)) + 1):
        type_ = ClaimType.FILE if files_only else draw(type_st)
        pattern = draw(literal_st if files_only else st.one_of(pattern_st, literal_st))
        symbols: tuple[str, ...] = ()
        carved: tuple[Carve, ...] = ()
        if type_ is ClaimType.MODULE:
            pattern = globs.module_pattern(pattern)
        elif type_ is ClaimType.FILE and globs.is_literal(pattern):
            symbols = draw(symbols_st)
            if not symbols:
                carved = tuple(Carve(pattern, s, by=0) for s in draw(symbols_st))
        claims.append(
            ActiveClaim(
                id=claim_id,
                repo_id="r",
                engineer=draw(st.sampled_from(ENGINEERS)),
                type=type_,
                pattern=pattern,
                expires_at=NOW + timedelta(minutes=draw(st.sampled_from([-5, 30, 240]))),
                symbols=symbols,
                narrowable=type_ is ClaimType.FILE and draw(st.sampled_from([True, True, False])),
                carved=carved,
                partners=tuple(draw(st.sets(st.integers(min_value=1, max_value=8), max_size=2))),
            )
        )
    return claims


@st.composite
def new_items(draw: st.DrawFn, claims: list[ActiveClaim], files_only: bool = False) -> ClaimItem:
    if claims and draw(st.integers(min_value=0, max_value=4)) == 0:
        # Ask again for a scope someone holds: exercises renewals.
        held = draw(st.sampled_from(claims))
        return ClaimItem(held.type, held.pattern, held.symbols)
    type_ = ClaimType.FILE if files_only else draw(type_st)
    pattern = draw(literal_st if files_only else st.one_of(pattern_st, literal_st))
    symbols: tuple[str, ...] = ()
    if type_ is ClaimType.FILE and globs.is_literal(pattern):
        symbols = draw(nonempty_symbols_st if files_only else symbols_st)
    return ClaimItem(type_, pattern, symbols)


@dataclass(frozen=True)
class Expected:
    outcome: Outcome
    blocking: frozenset[int]
    narrowed: frozenset[int]
    coexists_with: frozenset[int]
    refreshes: int | None


def oracle(engineer: str, item: ClaimItem, claims: list[ActiveClaim], files: FileSet | None = None) -> Expected:
    """decide_item's rules applied to every claim, one by one."""
    pattern = effective_pattern(item)
    wanted = normalise(item.symbols)
    is_live = liveness(NOW, 0, {})
    buckets: dict[_Relation, set[int]] = {rel: set() for rel in _Relation}
    refreshes: ActiveClaim | None = None
    for held in sorted(claims, key=lambda c: c.id):
        if not is_live(held):
            continue
        if held.engineer == engineer:
            if held.type is item.type and held.pattern == pattern and held.symbols == wanted:
                refreshes = held
            continue
        if files is not None:
            overlaps = files.overlap(pattern, held.pattern)
        else:
            overlaps = globs.overlap(pattern, held.pattern) is not None
        if overlaps:
            buckets[relate(item.type, wanted, held)].add(held.id)
    blocking = buckets[_Relation.CONFLICT]
    if refreshes is not None:
        blocking -= set(refreshes.partners)
    if blocking:
        return Expected(Outcome.CONFLICT, frozenset(blocking), frozenset(), frozenset(), None)
    narrowed, partners = buckets[_Relation.NARROW], buckets[_Relation.COEXIST]
    outcome = Outcome.AUTO_NARROW if narrowed else Outcome.AUTO_COEXIST if partners else Outcome.GRANT
    return Expected(outcome, frozenset(), frozenset(narrowed), frozenset(partners), refreshes.id if refreshes else None)


def observed(engineer: str, item: ClaimItem, claims: list[ActiveClaim], files: FileSet | None = None) -> Expected:
    decision = decide_item(engineer, item, ClaimBook(claims), Context.build(files, liveness(NOW, 0, {})))
    for group in (decision.blocking, decision.narrowed, decision.coexists_with):
        ids = [c.id for c in group]
        assert ids == sorted(set(ids)), "claims are reported once each, in id order"
    return Expected(
        decision.outcome,
        frozenset(c.id for c in decision.blocking),
        frozenset(c.id for c in decision.narrowed),
        frozenset(c.id for c in decision.coexists_with),
        decision.refreshes.id if decision.refreshes else None,
    )


@PROPERTY
@given(st.data())
def test_indexed_decision_equals_comparing_with_every_claim(data: st.DataObject) -> None:
    files_only = data.draw(st.booleans())
    claims = data.draw(held_claims(files_only))
    item = data.draw(new_items(claims, files_only))
    engineer = data.draw(st.sampled_from(ENGINEERS))
    assert observed(engineer, item, claims) == oracle(engineer, item, claims)


@PROPERTY
@given(st.data())
def test_indexed_decision_equals_comparing_with_every_claim_over_tracked_files(data: st.DataObject) -> None:
    files_only = data.draw(st.booleans())
    claims = data.draw(held_claims(files_only))
    item = data.draw(new_items(claims, files_only))
    engineer = data.draw(st.sampled_from(ENGINEERS))
    files = FileSet(data.draw(st.lists(path_st, max_size=10)))
    assert observed(engineer, item, claims, files) == oracle(engineer, item, claims, files)


plain_st = st.tuples(type_st, pattern_st).map(
    lambda tp: (tp[0], globs.module_pattern(tp[1]) if tp[0] is ClaimType.MODULE else tp[1])
)


def as_held(claim_id: int, engineer: str, type_: ClaimType, pattern: str) -> ActiveClaim:
    return ActiveClaim(
        id=claim_id,
        repo_id="r",
        engineer=engineer,
        type=type_,
        pattern=pattern,
        expires_at=NOW + timedelta(hours=1),
        narrowable=type_ is ClaimType.FILE,
    )


@PROPERTY
@given(plain_st, plain_st, st.permutations(ENGINEERS))
def test_conflicts_between_plain_claims_are_symmetric(
    a: tuple[ClaimType, str], b: tuple[ClaimType, str], engineers: list[str]
) -> None:
    """Without symbols, A asked against held B conflicts exactly when B asked against held A does."""
    first, second = engineers[0], engineers[1]
    a_vs_b = observed(first, ClaimItem(*a), [as_held(1, second, *b)])
    b_vs_a = observed(second, ClaimItem(*b), [as_held(1, first, *a)])
    assert a_vs_b.outcome == b_vs_a.outcome
    assert a_vs_b.outcome in (Outcome.GRANT, Outcome.CONFLICT)
    if (a[0], b[0]) == (ClaimType.FILE, ClaimType.FILE):
        collide = globs.overlap(a[1], b[1]) is not None
        assert (a_vs_b.outcome is Outcome.CONFLICT) == collide
