"""Property tests: matching through the file list's index equals testing every path.

`FileSet` looks a pattern up by its literal directory or its literal file name, and
`FileSet.updated` carries cached matches over to a new listing, testing only the
paths that changed. The oracle is `globs.matches` on every path of the listing.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.core import globs
from coordination.core.files import FileSet, PathIndex
from tests.support.properties import examples

NAMES = ["a", "b", "a0", "ab", "src", "x.py", "x.ts", "[x]", "a.b", "0"]
TOKENS = ["a", "b", "x", ".py", ".ts", "*", "?", "[ab]", "[!a]", "[a-c]", "{a,b}", "{x.py,a/b}", "0", r"\[x\]", "**"]

segment_st = st.one_of(
    st.just("**"),
    st.sampled_from(NAMES[:7]),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=3).map("".join),
)
pattern_st = st.lists(segment_st, min_size=1, max_size=4).map("/".join).filter(lambda p: globs.validate(p) is None)
path_st = st.lists(st.sampled_from(NAMES), min_size=1, max_size=4).map("/".join)
paths_st = st.lists(path_st, max_size=40)

PROPERTY = settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


def brute(pattern: str, paths: list[str]) -> frozenset[str]:
    return frozenset(p for p in paths if globs.matches(pattern, p))


@PROPERTY
@given(paths_st, st.lists(pattern_st, min_size=1, max_size=6))
def test_indexed_matching_equals_testing_every_path(paths: list[str], patterns: list[str]) -> None:
    files = FileSet(paths)
    index = PathIndex(paths)
    for pattern in patterns:
        assert files.matching(pattern) == brute(pattern, paths), pattern
        assert index.match(pattern) == brute(pattern, paths), pattern


@PROPERTY
@given(paths_st, paths_st, st.lists(pattern_st, min_size=1, max_size=6), st.lists(pattern_st, max_size=3))
def test_an_updated_listing_matches_like_a_fresh_one(
    before: list[str], after: list[str], held: list[str], new: list[str]
) -> None:
    old = FileSet(before)
    for pattern in held:
        old.matching(pattern)  # cached: carried over to the update
    files = old.updated(after)
    for pattern in held + new:
        assert files.matching(pattern) == brute(pattern, after), pattern
    # the old snapshot keeps answering for the old listing
    for pattern in held:
        assert old.matching(pattern) == brute(pattern, before), pattern


@PROPERTY
@given(paths_st, st.lists(pattern_st, min_size=1, max_size=4))
def test_an_unchanged_listing_keeps_its_snapshot(paths: list[str], patterns: list[str]) -> None:
    files = FileSet(paths)
    for pattern in patterns:
        files.matching(pattern)
    assert files.updated(list(reversed(paths))) is files


def test_a_changed_listing_tests_only_the_changed_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    tracked = [f"d{d}/s{s}/f{f}.py" for d in range(20) for s in range(10) for f in range(10)]
    files = FileSet(tracked)
    held = ["d1/**", "d2/s3/*.py", "**/f1.py", "d3/s4/f5.py"]
    for pattern in held:
        files.matching(pattern)
    tested: list[str] = []
    real = globs.filter_paths

    def counting(pattern: str, paths: Iterable[str]) -> list[str]:
        listed = list(paths)
        tested.extend(listed)
        return real(pattern, listed)

    monkeypatch.setattr(globs, "filter_paths", counting)
    updated = files.updated([*tracked[1:], "d1/s0/new.py", "d9/s9/f1.py.orig"])
    monkeypatch.undo()
    assert set(tested) <= {"d1/s0/new.py", "d9/s9/f1.py.orig"}
    assert updated.matching("d1/**") == brute("d1/**", [*tracked, "d1/s0/new.py"])
    assert "d0/s0/f0.py" not in updated.matching("**/f0.py")


def test_a_pattern_is_matched_against_its_directory_or_its_file_name() -> None:
    tracked = [f"d{d}/s{s}/f{f}.py" for d in range(20) for s in range(10) for f in range(10)] + ["notes/README.md"]
    index = PathIndex(tracked)
    assert len(index.candidates("d1", None)) == 100  # d1/..., not d10/... to d19/...
    assert index.candidates("", "README.md") == ["notes/README.md"]
    assert len(index.candidates("d2/s3", "f4.py")) == 10  # the directory: fewer than the 200 named f4.py


@PROPERTY
@given(st.lists(path_st, min_size=1, max_size=40), pattern_st)
def test_filtering_few_paths_segment_by_segment_equals_the_compiled_pattern(paths: list[str], pattern: str) -> None:
    """Up to a few hundred paths are matched segment by segment, more with the compiled
    pattern: both answer like `globs.matches`."""
    many = paths * (300 // len(paths) + 1)
    assert globs.filter_paths(pattern, paths) == [p for p in paths if globs.matches(pattern, p)]
    assert globs.filter_paths(pattern, many) == [p for p in many if globs.matches(pattern, p)]
