"""Hotspot ranking, suggested actions, markers, demotion and subtree rules (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from coordination.core import promotion as p
from coordination.core.files import FileSet
from coordination.core.validation import Limits

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "attempts", "action"),
    [
        ("src/app.ts", 0, None),
        ("src/app.ts", 2, None),
        ("src/app.ts", 3, "monitor"),
        ("src/app.ts", 9, "monitor"),
        ("src/app.ts", 10, "shared_file"),
        ("src/app.ts", 500, "shared_file"),
        ("src/auth/**", 3, "monitor"),
        ("src/auth/**", 10, "split"),
        ("src/*.ts", 12, "split"),
    ],
)
def test_suggest(pattern: str, attempts: int, action: str | None) -> None:
    assert p.suggest(pattern, attempts) == action


def test_rank_orders_by_attempts_then_recency_and_drops_noise() -> None:
    def attempts(pattern: str, n: int, minutes_ago: int, engineer: str = "a/b/1") -> list[p.Attempt]:
        return [p.Attempt(pattern, engineer, NOW - timedelta(minutes=minutes_ago + i)) for i in range(n)]

    events = (
        attempts("a.ts", 3, 10)
        + attempts("b.ts", 3, 1, "x/y/1")
        + attempts("b.ts", 1, 5, "z/y/1")
        + attempts("c/**", 11, 50)
        + attempts("d.ts", 2, 1)  # below the monitor threshold
        + attempts("e.ts", 1, 0) * 1
        + [p.Attempt("old.ts", "a/b/1", NOW - timedelta(days=40))] * 20  # outside the window
        + [p.Attempt("future.ts", "a/b/1", NOW + timedelta(days=1))] * 20
    )
    ranked = p.rank(events, NOW - timedelta(days=30), NOW)
    assert [(h.pattern, h.attempts, h.suggested_action) for h in ranked] == [
        ("c/**", 11, "split"),
        ("b.ts", 4, "monitor"),
        ("a.ts", 3, "monitor"),
    ]
    assert ranked[1].engineers == 2 and ranked[1].last_attempt_at == NOW - timedelta(minutes=1)
    assert p.rank([], NOW - timedelta(days=1), NOW) == []


@pytest.mark.parametrize(
    ("pattern", "attempts", "threshold", "due"),
    [
        ("a.ts", 5, 0, False),  # off
        ("a.ts", 4, 5, False),
        ("a.ts", 5, 5, True),
        ("a.ts", 9, 5, True),
        ("src/**", 50, 5, False),  # only single files are auto-promoted
    ],
)
def test_promotion_due(pattern: str, attempts: int, threshold: int, due: bool) -> None:
    assert p.promotion_due(pattern, attempts, threshold) is due


@pytest.mark.parametrize(
    ("comment", "promoted", "permanent", "managed"),
    [
        ("", None, False, False),
        (None, None, False, False),
        ("lead's call", None, False, False),
        ("auto-promoted=2026-11-01", date(2026, 11, 1), False, True),
        ("auto-promoted=2026-11-01 coord-managed=permanent", date(2026, 11, 1), True, False),
        ("coord-managed=permanent", None, True, False),
        ("auto-promoted=2026-13-45", None, False, False),
        ("coord-promoted=2026-11-01", None, False, False),  # the promote API's: never demoted
    ],
)
def test_read_marks(comment: str | None, promoted: date | None, permanent: bool, managed: bool) -> None:
    marks = p.read_marks(comment)
    assert (marks.promoted, marks.permanent, marks.managed) == (promoted, permanent, managed)


@pytest.mark.parametrize(
    ("comment", "written"),
    [
        ("", False),
        ("kept by hand", False),
        ("auto-promoted=2026-11-01", True),
        ("auto-promoted=2026-11-01 coord-managed=permanent", True),
        ("coord-promoted=2026-11-01", True),
        ("coord-promoted=someday", False),
    ],
)
def test_coord_written(comment: str, written: bool) -> None:
    assert p.read_marks(comment).coord_written is written
    assert p.api_mark(date(2026, 11, 1)) == "coord-promoted=2026-11-01"


def test_carried_over_keeps_coord_entries_the_upload_lacks() -> None:
    stored = [
        ("a.json", "auto-promoted=2026-11-01"),
        ("b.json", ""),  # an operator entry: the upload decides
        ("c.json", "coord-promoted=2026-11-02"),
        ("d.json", "auto-promoted=2026-11-03"),
        ("c.json", "coord-promoted=2026-11-02"),  # listed twice: carried once
    ]
    assert p.carried_over(stored, ["d.json", "x.json"]) == [
        ("a.json", "auto-promoted=2026-11-01"),
        ("c.json", "coord-promoted=2026-11-02"),
    ]
    assert p.carried_over([], ["a"]) == []


TRACKED = FileSet(
    [f"go/{d}/{n}.go" for d in "abcdefg" for n in range(3)]
    + ["go/go.mod", "src/auth/a.ts", "src/auth/b.ts", "src/auth/c.ts", "src/auth/d.ts"]
    + [f"web/{n}.ts" for n in range(120)]
    + [f"docs/{n}.md" for n in range(40)]
)
LIMITS = Limits(max_claim_files=100, max_claim_ratio=0.2)


@pytest.mark.parametrize(
    ("pattern", "files", "limits", "refused"),
    [
        ("package-lock.json", None, LIMITS, None),
        ("package-lock.json", TRACKED, LIMITS, None),  # one file: always
        ("**", None, LIMITS, "repo root"),
        ("**", TRACKED, LIMITS, "repo root"),
        ("**/*.json", None, LIMITS, "repo root"),
        ("*.json", None, LIMITS, "repo root"),
        ("{src,**}/x.ts", None, LIMITS, "repo root"),
        ("src/auth/**", None, LIMITS, None),
        ("src/auth/**", TRACKED, LIMITS, None),
        ("{src,go}/**", TRACKED, LIMITS, None),
        ("web/**", TRACKED, LIMITS, "COORD_MAX_CLAIM_FILES"),
        ("docs/**", TRACKED, LIMITS, "COORD_MAX_CLAIM_RATIO"),
        ("docs/**", TRACKED, Limits(max_claim_ratio=0.2, enforce_ratio=False), None),
        ("docs/**", FileSet([f"docs/{n}.md" for n in range(4)]), Limits(enforce_ratio=False), "every tracked"),
    ],
)
def test_promotion_problem(pattern: str, files: FileSet | None, limits: Limits, refused: str | None) -> None:
    problem = p.promotion_problem(pattern, files, limits)
    if refused is None:
        assert problem is None
    else:
        assert problem is not None and refused in problem


@pytest.mark.parametrize(
    ("leaves", "expected"),
    [
        # Three hot files in three directories of a 22-file tree: not half of it.
        (["go/a/0.go", "go/b/0.go", "go/c/0.go"], None),
        # All of src/auth but one: its deepest common directory, more than half.
        (["src/auth/a.ts", "src/auth/b.ts", "src/auth/c.ts"], "src/auth/**"),
        # go/a holds two of its three files: go/a/** (go/b/0.go stays a leaf); never go/**.
        (["go/a/0.go", "go/a/1.go", "go/b/0.go"], "go/a/**"),
        (["go/a/0.go", "go/a/1.go", "go/a/2.go"], "go/a/**"),
        # Half exactly is enough.
        (["src/auth/a.ts", "src/auth/b.ts"], "src/auth/**"),
        # Untracked leaves (files not committed yet): the one-parent rule.
        (["new/x/a.ts", "new/x/b.ts"], "new/x/**"),
        (["new/x/a.ts", "new/y/b.ts"], None),
    ],
)
def test_subtree_collapse_with_a_checkout(leaves: list[str], expected: str | None) -> None:
    found = p.subtree_collapse(leaves, 2, TRACKED, LIMITS)
    assert (found[0] if found else None) == expected
    if found:
        assert found[1] == sorted(leaf for leaf in leaves if leaf.startswith(found[0][:-2]))


def test_subtree_collapse_stays_within_the_claim_limits() -> None:
    files = FileSet([f"big/{n}.ts" for n in range(10)] + [f"other/{n}.ts" for n in range(10)])
    leaves = [f"big/{n}.ts" for n in range(6)]
    assert p.subtree_collapse(leaves, 3, files, Limits(max_claim_ratio=0.6)) == ("big/**", leaves)
    assert p.subtree_collapse(leaves, 3, files, Limits(max_claim_ratio=0.2)) is None  # 50% of the repo
    assert p.subtree_collapse(leaves, 3, files, Limits(max_claim_files=5, max_claim_ratio=0.6)) is None


TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("comment", "attempts", "due"),
    [
        ("auto-promoted=2026-11-15", 0, True),  # exactly 14 days ago, quiet
        ("auto-promoted=2026-11-16", 0, False),  # 13 days: too recent
        ("auto-promoted=2026-11-01", 4, True),
        ("auto-promoted=2026-11-01", 5, False),  # still hot
        ("auto-promoted=2026-11-01 coord-managed=permanent", 0, False),
        ("", 0, False),  # operator entry
    ],
)
def test_demotion_due(comment: str, attempts: int, due: bool) -> None:
    assert p.demotion_due(p.read_marks(comment), attempts, TODAY, 14, 5) is due
    assert not p.demotion_due(p.read_marks(comment), attempts, TODAY, 14, 0)  # threshold 0: off


def test_attempts_on_counts_files_under_a_glob() -> None:
    patterns = ["src/auth/a.py", "src/auth/b.py", "src/auth/**", "src/other.py", "src/auth/a.py"]
    assert p.attempts_on("src/auth/a.py", patterns) == 2
    assert p.attempts_on("src/auth/**", patterns) == 4
    assert p.attempts_on("nothing.py", patterns) == 0


@pytest.mark.parametrize(
    ("leaves", "minimum", "expected"),
    [
        (["src/auth/a.py", "src/auth/b.py"], 3, None),
        (
            ["src/auth/a.py", "src/auth/b.py", "src/auth/c.py"],
            3,
            ("src/auth/**", ["src/auth/a.py", "src/auth/b.py", "src/auth/c.py"]),
        ),
        (["src/auth/a.py", "src/auth/b.py", "src/auth/c.py"], 0, None),
        # Without a checkout a subtree is written only for leaves sharing one parent.
        (["src/auth/a.py", "src/auth/x/b.py", "src/db/c.py"], 3, None),
        (["src/a/x/1.py", "src/a/x/2.py", "src/a/y/3.py", "src/b/4.py"], 3, None),
        (["go/a/x.go", "go/b/y.go", "go/c/z.go"], 3, None),
        (
            ["src/a/x/1.py", "src/a/x/2.py", "src/a/x/3.py", "src/b/4.py"],
            3,
            ("src/a/x/**", ["src/a/x/1.py", "src/a/x/2.py", "src/a/x/3.py"]),
        ),
        (["a.json", "b.json", "c.json"], 3, None),  # the repo root never collapses
        (["src/x/**", "src/y.py", "src/z.py"], 3, None),  # only leaves count
    ],
)
def test_subtree_collapse(leaves: list[str], minimum: int, expected: tuple[str, list[str]] | None) -> None:
    assert p.subtree_collapse(leaves, minimum) == expected
