"""Escaped (literal) paths and the bounds on the work one pattern may cost."""

from __future__ import annotations

import pytest

from coordination.core import globs
from coordination.core.files import FileSet, overlap_function
from coordination.core.index import ClaimIndex
from coordination.core.model import ClaimItem, ClaimType
from coordination.core.spelling import respell


@pytest.mark.parametrize(
    ("path", "escaped"),
    [
        ("pages/[id].tsx", r"pages/\[id\].tsx"),
        ("pages/[[...slug]].tsx", r"pages/\[\[...slug\]\].tsx"),
        ("app/(auth)/page.tsx", "app/(auth)/page.tsx"),
        ("a/{x,y}*?.ts", r"a/\{x,y\}\*\?.ts"),
        ("src/plain.ts", "src/plain.ts"),
    ],
)
def test_an_escaped_path_matches_that_one_file(path: str, escaped: str) -> None:
    assert globs.escape(path) == escaped
    assert globs.validate(escaped) is None
    assert globs.is_literal(escaped) and globs.literal_path(escaped) == path
    assert globs.matches(escaped, path)
    assert globs.filter_paths(escaped, [path, "pages/i.tsx", "pages/d.tsx"]) == [path]
    assert globs.overlap(escaped, escaped) == path


def test_escaped_literals_overlap_the_globs_that_match_them_and_nothing_else() -> None:
    literal = r"pages/\[id\].tsx"
    assert globs.overlap(literal, "pages/?id?.tsx") == "pages/[id].tsx"
    assert globs.overlap(literal, "pages/*") == "pages/[id].tsx"
    assert globs.overlap(literal, "pages/[id].tsx") is None  # the glob means one-character names
    assert globs.overlap(r"pages/\[id\]/*.ts", "pages/*/x.ts") == "pages/[id]/x.ts"
    assert globs.literal_prefixes(r"pages/\[id\]/*.ts") == (("pages", "[id]"),)
    assert globs.canonical(r"pages/\[id].tsx") == literal == globs.canonical(literal)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("src\\x.ts", "backslash"),
        ("src/x\\", "backslash"),
        ("src/[\\]].ts", "backslash inside a character class"),
        ("**/" * 9 + "x", "more than 8 '**'"),
        ("*a" * 17, "more than 16 wildcards"),
        ("?" * 17, "more than 16 wildcards"),
        ("{1..200}*", "more than 128 wildcards"),
        ("{1..256}/" + "x" * 10, "more than 2048 characters"),
    ],
)
def test_refused_patterns_say_why(pattern: str, reason: str) -> None:
    found = globs.validate(pattern)
    assert found is not None and reason in found


def test_consecutive_double_stars_mean_one() -> None:
    assert globs._parse("a/**/**/**/b").alternatives == ("a/**/b",)
    assert globs._parse("a/**/**").alternatives == ("a/**",)
    assert globs.matches("a/**/**/b", "a/b") and globs.matches("a/**/**", "a/x")
    assert not globs.matches("a/**/**", "a")


def test_a_pair_over_the_search_budget_raises_instead_of_spinning() -> None:
    held, asked = "*a" * 16 + "a" * 900, "a" * 900 + "*a" * 15 + "*b"
    assert globs.validate(held) is None and globs.validate(asked) is None
    with pytest.raises(globs.PatternTooComplex, match="search budget"):
        globs.overlap(held, asked)
    # Decisions nobody is waiting on assume the pair overlaps: never two holders.
    assert overlap_function(None, strict=False)(held, asked) is True
    with pytest.raises(globs.PatternTooComplex):
        overlap_function(None)(held, asked)


def test_the_index_files_escaped_literals_under_their_real_names() -> None:
    index: ClaimIndex[int] = ClaimIndex()
    index.add(1, r"pages/\[id\].tsx")
    index.add(2, "pages/i.tsx")
    assert index.candidates("pages/?id?.tsx") == {1}
    assert index.candidates(r"pages/\[id\].tsx") == {1}


def test_respell_reads_tracked_names_and_literal_items_as_paths() -> None:
    files = FileSet(["pages/[id].tsx", "pages/[[...slug]].tsx", "pages/[id]/edit.tsx", "pages/i.tsx"])
    item, note = respell(ClaimItem(ClaimType.FILE, "pages/[id].tsx"), files)
    assert item.pattern == r"pages/\[id\].tsx" and note and "tracked file" in note
    item, _ = respell(ClaimItem(ClaimType.MODULE, "pages/[id]"), files)
    assert item.pattern == r"pages/\[id\]"
    item, note = respell(ClaimItem(ClaimType.FILE, "pages/[id].tsx"), None)
    assert item.pattern == "pages/[id].tsx" and note is None  # no checkout: a glob
    item, note = respell(ClaimItem(ClaimType.FILE, "pages/[id].tsx", literal=True), None)
    assert item.pattern == r"pages/\[id\].tsx" and not item.literal and note is None
    assert files.matching(r"pages/\[id\].tsx") == {"pages/[id].tsx"}
    assert files.has_directory("pages/[id]") and not files.has_directory("pages/[i")
