"""ClaimIndex: candidates are a superset of the real overlaps, and stay few."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.core.globs import GlobError, overlap, validate
from coordination.core.index import ClaimIndex
from tests.support.properties import examples

TOKENS = ["a", "b", "src", "lib", "*", "?", "[ab]", "{a,b}", "{src,lib}", "x.py"]

segment_st = st.one_of(
    st.just("**"),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=2).map("".join),
)
pattern_st = st.lists(segment_st, min_size=1, max_size=4).map("/".join).filter(lambda p: validate(p) is None)


def brute_force(claims: dict[int, str], query: str) -> set[int]:
    return {key for key, pattern in claims.items() if overlap(pattern, query) is not None}


def test_add_remove_len_and_replace() -> None:
    index: ClaimIndex[str] = ClaimIndex()
    assert len(index) == 0
    index.add("a", "src/a/x.py")
    index.add("b", "src/a/*.py")
    index.add("c", "lib/**")
    index.add("d", "**/*.md")
    assert len(index) == 4
    assert "a" in index
    assert index.candidates("src/a/x.py") == {"a", "b", "d"}
    assert "c" not in index.candidates("src/a/x.py")
    assert index.candidates("lib/z.ts") == {"c", "d"}
    # Re-adding a key replaces its pattern.
    index.add("a", "lib/y.py")
    assert len(index) == 4
    assert "a" not in index.candidates("src/a/x.py")
    assert "a" in index.candidates("lib/*.py")
    index.remove("a")
    index.remove("a")  # absent: no-op
    index.remove("never-added")
    assert len(index) == 3
    assert "a" not in index.candidates("**")


def test_removing_everything_leaves_an_empty_trie() -> None:
    index: ClaimIndex[int] = ClaimIndex()
    patterns = ["src/a/b/c.py", "src/a/*.py", "{src,lib}/x/**", "**", "docs/readme.md"]
    for key, pattern in enumerate(patterns):
        index.add(key, pattern)
    for key in range(len(patterns)):
        index.remove(key)
    assert len(index) == 0
    assert index.candidates("**") == set()
    assert index._root.children == {}
    assert index._root.exact == set()
    assert index._root.open == set()


def test_brace_alternatives_are_each_filed() -> None:
    index: ClaimIndex[int] = ClaimIndex()
    index.add(1, "{src,lib}/x.ts")
    assert index.candidates("lib/x.ts") == {1}
    assert index.candidates("src/*.ts") == {1}
    assert index.candidates("docs/x.ts") == set()
    index.remove(1)
    assert index.candidates("lib/x.ts") == set()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("src/a/x.py", {"file", "dir-glob", "module", "anywhere", "src-tree"}),
        ("src/a/*.py", {"file", "dir-glob", "module", "anywhere", "src-tree"}),
        ("src/b/x.py", {"anywhere", "src-tree"}),
        ("src/*/x.py", {"file", "dir-glob", "module", "anywhere", "src-tree"}),
        ("src/a", {"anywhere", "src-tree"}),
        ("lib/**", {"anywhere", "lib"}),
        ("**/x.py", {"file", "dir-glob", "module", "anywhere", "src-tree", "lib"}),
        ("[sl]*/**", {"file", "dir-glob", "module", "anywhere", "src-tree", "lib"}),
        ("docs/x.md", {"anywhere"}),
    ],
)
def test_candidates_follow_the_query(query: str, expected: set[str]) -> None:
    index: ClaimIndex[str] = ClaimIndex()
    index.add("file", "src/a/x.py")
    index.add("dir-glob", "src/a/*.py")
    index.add("module", "src/a/**")
    index.add("anywhere", "**/*.py")
    index.add("src-tree", "src/**/*.py")
    index.add("lib", "lib/**")
    assert index.candidates(query) == expected


def test_invalid_patterns_raise() -> None:
    index: ClaimIndex[int] = ClaimIndex()
    with pytest.raises(GlobError):
        index.add(1, "src/../x")
    assert len(index) == 0
    with pytest.raises(GlobError):
        index.candidates("/abs")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(pattern_st, min_size=0, max_size=25), pattern_st)
def test_candidates_never_miss_an_overlap(patterns: list[str], query: str) -> None:
    claims = dict(enumerate(patterns))
    index: ClaimIndex[int] = ClaimIndex()
    for key, pattern in claims.items():
        index.add(key, pattern)
    assert len(index) == len(claims)
    assert brute_force(claims, query) <= index.candidates(query)


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    st.lists(pattern_st, min_size=1, max_size=20),
    st.lists(st.integers(min_value=0, max_value=19), max_size=10),
    pattern_st,
)
def test_removals_are_forgotten(patterns: list[str], removed: list[int], query: str) -> None:
    claims = dict(enumerate(patterns))
    index: ClaimIndex[int] = ClaimIndex()
    for key, pattern in claims.items():
        index.add(key, pattern)
    for key in removed:
        index.remove(key)
        claims.pop(key, None)
    assert len(index) == len(claims)
    found = index.candidates(query)
    assert found <= set(claims)
    assert brute_force(claims, query) <= found


def _spread_claims() -> tuple[dict[int, str], list[str]]:
    """10,000 claims over a 20,000-file tree (100 dirs x 10 subdirs x 20 files)."""
    rng = random.Random(20261129)
    files = [f"pkg{d}/mod{s}/file{f}.py" for d in range(100) for s in range(10) for f in range(20)]
    claims: dict[int, str] = {}
    for key in range(10_000):
        d, s = rng.randrange(100), rng.randrange(10)
        kind = rng.random()
        if kind < 0.75:
            claims[key] = rng.choice(files)
        elif kind < 0.9:
            claims[key] = f"pkg{d}/mod{s}/*.py"
        elif kind < 0.998:
            claims[key] = f"pkg{d}/mod{s}/**"
        else:
            claims[key] = "**/*.md"
    return claims, files


def test_exact_file_query_among_10000_claims_has_few_candidates() -> None:
    claims, files = _spread_claims()
    index: ClaimIndex[int] = ClaimIndex()
    for key, pattern in claims.items():
        index.add(key, pattern)
    assert len(index) == 10_000
    for query in (files[7_777], "pkg5/mod3/new_file.py"):
        found = index.candidates(query)
        assert len(found) < 100, (query, len(found))
        assert brute_force(claims, query) <= found
    dir_query = "pkg42/mod7/*.py"
    found = index.candidates(dir_query)
    assert len(found) < 100
    assert brute_force(claims, dir_query) <= found
    assert len(index.candidates(files[0])) < 100
    # A pattern with '**' or a leading wildcard still finds everything it overlaps.
    assert brute_force(claims, "*/mod7/file3.py") <= index.candidates("*/mod7/file3.py")
    assert len(index.candidates("**/file3.py")) == 10_000
