"""Property tests: the exact overlap engine agrees with wcmatch-based matching."""

from __future__ import annotations

from functools import cache
from itertools import product

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.core.globs import filter_paths, matches, overlap, validate
from tests.support.properties import examples

TOKENS = ["a", "b", ".", "*", "?", "[ab]", "[!a]", "{a,b}"]

segment_st = st.one_of(
    st.just("**"),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=3).map("".join),
)
raw_pattern_st = st.lists(segment_st, min_size=1, max_size=4).map("/".join)
pattern_st = raw_pattern_st.filter(lambda p: validate(p) is None)

path_segment_st = st.text(alphabet="ab.", min_size=1, max_size=3)
path_st = st.lists(path_segment_st, min_size=1, max_size=4).map("/".join)

# Single-segment character classes over a few awkward characters.
class_st = st.builds(
    lambda neg, body, tail: f"[{neg}{body}]{tail}",
    st.sampled_from(["", "!", "^"]),
    st.text(alphabet="abc-]!^.", min_size=1, max_size=5),
    st.sampled_from(["", "*", "x"]),
).filter(lambda p: validate(p) is None)

COMMON = settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


@cache
def universe() -> tuple[str, ...]:
    """Every valid path of depth 1-3 whose segments are 1-2 characters of 'ab.x'."""
    segments = [
        "".join(chars) for size in (1, 2) for chars in product("ab.x", repeat=size) if "".join(chars) not in (".", "..")
    ]
    paths: list[str] = []
    for depth in (1, 2, 3):
        paths.extend("/".join(parts) for parts in product(segments, repeat=depth))
    return tuple(paths)


@COMMON
@given(pattern_st, pattern_st, st.lists(path_st, min_size=1, max_size=8))
def test_a_common_path_means_overlap(a: str, b: str, paths: list[str]) -> None:
    common = [p for p in paths if matches(a, p) and matches(b, p)]
    if common:
        assert overlap(a, b) is not None, (a, b, common)


@COMMON
@given(pattern_st, pattern_st)
def test_every_witness_matches_both(a: str, b: str) -> None:
    witness = overlap(a, b)
    if witness is not None:
        assert matches(a, witness), (a, b, witness)
        assert matches(b, witness), (a, b, witness)


@COMMON
@given(pattern_st, pattern_st)
def test_overlap_is_symmetric(a: str, b: str) -> None:
    assert (overlap(a, b) is None) == (overlap(b, a) is None)


@COMMON
@given(pattern_st)
def test_a_valid_pattern_overlaps_itself_and_double_star(a: str) -> None:
    # A pattern overlaps itself exactly when it can match some path at all
    # (`[.]` cannot: '.' is not a path segment).
    witness = overlap(a, a)
    if witness is not None:
        assert overlap(a, "**") is not None
        assert matches(a, witness)
    else:
        assert overlap(a, "**") is None


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(pattern_st, pattern_st)
def test_brute_force_oracle_agrees(a: str, b: str) -> None:
    in_a = set(filter_paths(a, universe()))
    in_b = set(filter_paths(b, universe()))
    common = in_a & in_b
    witness = overlap(a, b)
    if common:
        assert witness is not None, (a, b, sorted(common)[:5])
    if witness is None:
        assert not common
    else:
        assert matches(a, witness) and matches(b, witness)
    # Membership: the automaton accepts exactly the paths wcmatch accepts.
    for path in universe()[:: max(1, len(universe()) // 300)]:
        assert (overlap(a, path) is not None) == (path in in_a), (a, path)


# A pattern matching exactly one character, spelled so that it is valid.
ONE_CHAR = {c: f"[{c}]" for c in "abcx-.AZ_0"} | {"]": "[]]", "!": "!", "^": "^"}


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(class_st, st.sampled_from(sorted(ONE_CHAR)))
def test_character_classes_agree_with_wcmatch(pattern: str, char: str) -> None:
    tail = "x" if pattern.endswith("x") else ""
    expected = matches(pattern, char + tail)
    assert (overlap(pattern, ONE_CHAR[char] + tail) is not None) == expected, (pattern, char)
