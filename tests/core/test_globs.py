"""Table-driven tests of the glob engine: validation, matching, prefixes and exact overlap."""

from __future__ import annotations

import pytest

from coordination.core import globs
from coordination.core.globs import (
    MAX_PATTERN_LENGTH,
    GlobError,
    filter_paths,
    is_literal,
    literal_prefixes,
    matches,
    module_pattern,
    overlap,
    validate,
)

# ---------------------------------------------------------------------------
# validate

INVALID = [
    ("", "empty"),
    ("{,}", "empty"),
    ("/src/x.py", "absolute"),
    ("/", "absolute"),
    ("C:\\src\\x.py", "absolute"),
    ("c:/src/x.py", "absolute"),
    ("{/a,b}", "absolute"),
    ("src/../x", "'..'"),
    ("..", "'..'"),
    ("{..,a}/x", "'..'"),
    ("src/./x", "'.'"),
    (".", "'.'"),
    ("src/x\x00", "control"),
    ("src/\nx", "control"),
    ("src/\x7fx", "control"),
    ("src\\x.py", "backslash"),
    ("a" * (MAX_PATTERN_LENGTH + 1), "longer"),
    ("src/[ab.py", "unbalanced '['"),
    ("src/[]", "unbalanced '['"),
    ("src/[!]", "unbalanced '['"),
    ("a[b/c]d", "unbalanced '['"),
    ("src/{a,b.py", "unbalanced '{'"),
    ("src/a,b}.py", "unbalanced '}'"),
    ("src//x.py", "empty path segment"),
    ("src/{a,}/x.py", "empty path segment"),
    ("src//", "empty path segment"),
    ("[[:alpha:]]", "POSIX"),
    ("[z-a]", "reversed range"),
    ("[a--]", "range endpoint"),
    ("[--a]", "range endpoint"),
    ("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", "alternatives"),
]

VALID = [
    "src/x.py",
    "src/",
    "src/**",
    "**",
    "**/*.py",
    "src/*.{ts,tsx}",
    "{src,lib}/**/x.ts",
    "{a,{b,c}}/x",
    "src/[!a-z]*",
    "src/[^a-z]*",
    "src/[]a]",
    "src/[!]a]",
    "src/[a-]",
    "src/[-a]",
    "a]b",
    "{a}",
    ".github/workflows/*.yml",
    "src/a..b",
    "src/...",
    "!important.md",
    "src/@(x)|y~",
    "a" * MAX_PATTERN_LENGTH,
    "ünïcödé/*.txt",
    "file{1..3}.txt",
]


@pytest.mark.parametrize(("pattern", "reason"), INVALID)
def test_validate_rejects_with_a_reason(pattern: str, reason: str) -> None:
    found = validate(pattern)
    assert found is not None
    assert reason in found
    with pytest.raises(GlobError, match="."):
        overlap(pattern, "**")
    with pytest.raises(GlobError):
        matches(pattern, "x")
    with pytest.raises(GlobError):
        literal_prefixes(pattern)


@pytest.mark.parametrize("pattern", VALID)
def test_validate_accepts(pattern: str) -> None:
    assert validate(pattern) is None


def test_validate_non_string_is_a_reason_not_a_crash() -> None:
    assert validate(None) is not None  # type: ignore[arg-type]


def test_glob_error_is_a_value_error() -> None:
    assert issubclass(GlobError, ValueError)


# ---------------------------------------------------------------------------
# module_pattern, is_literal, literal_prefixes


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("src/auth", "src/auth/**"),
        ("src/auth/", "src/auth/**"),
        ("src/auth/**", "src/auth/**"),
        ("src/auth/**/", "src/auth/**"),
        ("**", "**"),
        ("src", "src/**"),
        ("{src,lib}/x", "{src,lib}/x/**"),
    ],
)
def test_module_pattern(pattern: str, expected: str) -> None:
    assert module_pattern(pattern) == expected
    assert validate(module_pattern(pattern)) is None


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("src/x.py", True),
        ("README", True),
        (".env", True),
        ("src/a-b_c.d.ts", True),
        ("src/*.py", False),
        ("src/x?.py", False),
        ("src/[ab].py", False),
        ("src/{a,b}.py", False),
        ("src/{a}.py", False),
        ("src/**", False),
        ("a]b", False),
    ],
)
def test_is_literal(pattern: str, expected: bool) -> None:
    assert is_literal(pattern) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("src/a/*.py", (("src", "a"),)),
        ("src/a/x.py", (("src", "a", "x.py"),)),
        ("src/a/x.py/", (("src", "a", "x.py"),)),
        ("**/x", ((),)),
        ("*.md", ((),)),
        ("src/**", (("src",),)),
        ("src/**/x.py", (("src",),)),
        ("{src,lib}/x.ts", (("src", "x.ts"), ("lib", "x.ts"))),
        ("{src,src}/x.ts", (("src", "x.ts"),)),
        ("{src/a,lib}/*.ts", (("src", "a"), ("lib",))),
        ("src/a**b/c", (("src",),)),
        ("src/{a}/c", (("src", "{a}", "c"),)),
        ("src/a]b/*", (("src", "a]b"),)),
    ],
)
def test_literal_prefixes(pattern: str, expected: tuple[tuple[str, ...], ...]) -> None:
    assert literal_prefixes(pattern) == expected


# ---------------------------------------------------------------------------
# matches and filter_paths

MATCHES = [
    ("*.md", "README.md", True),
    ("*.md", "docs/x.md", False),
    ("src/*", "src/.env", True),
    ("src/*", "src/a/b", False),
    ("src/*", "src", False),
    ("*", ".gitignore", True),
    ("?x", ".x", True),
    ("[.]x", ".x", True),
    ("a/*/b", "a/b", False),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("**/x", "x", True),
    ("**/x", "a/b/x", True),
    ("src/**", "src", False),
    ("src/**", "src/a", True),
    ("src/**", "src/a/b/c", True),
    ("src/**", "src/.git/x", True),
    ("**", "a", True),
    ("**", "a/b/c", True),
    ("a**b", "axyb", True),
    ("a**b", "ax/yb", False),
    ("a?c", "abc", True),
    ("a?c", "a/c", False),
    ("[!a-z]*", "Abc", True),
    ("[^a-z]*", "abc", False),
    ("[]a]", "]", True),
    ("[!]a]", "]", False),
    ("[a-c-e]", "-", True),
    ("[a-c-e]", "d", False),
    ("src/*.{ts,tsx}", "src/a.tsx", True),
    ("src/*.{ts,tsx}", "src/a.js", False),
    ("{a,{b,c}}/x", "c/x", True),
    ("file{1..3}.txt", "file2.txt", True),
    ("file{1..3}.txt", "file4.txt", False),
    ("{a}", "{a}", True),
    ("{a}", "a", False),
    ("{{1..2}..3}", "{1..3}", True),
    ("{{1..2}..3}", "2", False),
    ("!x", "!x", True),
    ("+(a)", "a", False),
    ("A.md", "a.md", False),
    ("src/", "src", True),
    ("src/x.py", "src/x.py", True),
    ("src/x.py", "src/x.pyc", False),
    # paths that are not repo paths never match
    ("**", "", False),
    ("**", "/a", False),
    ("**", "a/", False),
    ("**", "a//b", False),
    ("**", "a/./b", False),
    ("**", "a/../b", False),
    (".*", ".", False),
    (".*", "..", False),
    ("a", "a/", False),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), MATCHES)
def test_matches(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected
    assert (filter_paths(pattern, [path]) == [path]) is expected
    # The exact engine agrees with wcmatch on every row.
    if validate(path) is None and is_literal(path) and not path.endswith("/"):
        assert (overlap(pattern, path) is not None) is expected


def test_filter_paths_keeps_order_and_compiles_once() -> None:
    paths = ["src/b.py", "src/a.py", "src/a.txt", "lib/c.py", "src/d/e.py", "src/.f.py"]
    assert filter_paths("src/*.py", paths) == ["src/b.py", "src/a.py", "src/.f.py"]
    assert filter_paths("src/a.py", paths) == ["src/a.py"]
    assert filter_paths("**/*.py", iter(paths)) == [
        "src/b.py",
        "src/a.py",
        "lib/c.py",
        "src/d/e.py",
        "src/.f.py",
    ]


# ---------------------------------------------------------------------------
# overlap

OVERLAP = [
    # the required pairs
    ("src/*.py", "src/f1.py", True),
    ("src/*.py", "src/f*", True),
    ("src/a/**", "src/**/x.py", True),
    ("src/**/x.ts", "src/a/*.ts", True),
    ("**/*.py", "docs/**", True),
    ("src/[ab]*.ts", "src/c*.ts", False),
    ("src/*.ts", "src/a/x.ts", False),
    ("{src,lib}/x.ts", "lib/*.ts", True),
    ("a/**/b/**/c", "a/b/c", True),
    ("*.md", "docs/x.md", False),
    ("src/auth/**", "src/auth", False),
    ("[!a-z]*", "[a-z]*", False),
    ("a?c", "abc", True),
    ("a?c", "a/c", False),
    ("**", "src/x.py", True),
    ("**", "*", True),
    ("**", "**", True),
    ("**", ".github/**", True),
    # classes and negation
    ("[!a-z]", "[!0-9]", True),
    ("[a-c]", "[d-f]", False),
    ("[a-c]", "[c-f]", True),
    ("[!a-c]", "[a-c]", False),
    ("[!a]", "[!b]", True),
    ("[!ab]", "[ab]", False),
    ("[]]x", "?x", True),
    ("[^x]", "x", False),
    ("[!x]", "[x-z]", True),
    ("[a-z][0-9]", "?[!0-9]", False),
    ("x[!.]", "x.", False),
    # dots
    ("*", ".env", True),
    ("src/*", "src/.env", True),
    ("[.]", "*", False),
    ("[.][.]", "**", False),
    (".*", "*.", True),
    ("?", "[.]", False),
    ("??", "[.][.]", False),
    ("??", "[.]?", True),
    ("???", "[.][.][.]", True),
    # braces
    ("{a,b}/x", "c/x", False),
    ("{a,b}/x", "b/*", True),
    ("src/*.{ts,tsx}", "src/x.js", False),
    ("src/*.{ts,tsx}", "**/*.tsx", True),
    ("{a,{b,c}}", "c", True),
    ("file{1..3}.txt", "file3.txt", True),
    ("file{1..3}.txt", "file4.txt", False),
    ("{a}", "a", False),
    ("{a}", "[{]a[}]", True),
    ("{a}", "[{]b[}]", False),
    ("{a}", "*", True),
    # ** in the middle, at the ends, and inside a segment
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/*/c", False),
    ("**/b", "b", True),
    ("**/b/**", "a/b", False),
    ("**/b/**", "a/b/c", True),
    ("a/**", "a", False),
    ("a/**/**", "a/b", True),
    ("**/**", "x", True),
    ("a**b", "axb", True),
    ("a**b", "a/b", False),
    ("a**b", "a/x/b", False),
    ("a**b", "a*b", True),
    ("x/**a", "x/y/a", False),
    ("**/x/**/y", "x/y", True),
    ("**/x/**/y", "y/x", False),
    ("*/*", "*", False),
    ("*/*/*", "**/a", True),
    ("a/*/b", "a/b", False),
    ("a/*/b", "a/**/b", True),
    # case, literals, unrelated trees
    ("A.md", "a.md", False),
    ("src/x.py", "src/x.py", True),
    ("src/x.py", "src/x.pyi", False),
    ("src/**", "lib/**", False),
    ("src/a*", "src/b*", False),
    ("src/*a", "src/*b", False),
    ("src/*a*", "src/*b*", True),
]


@pytest.mark.parametrize(("a", "b", "expected"), OVERLAP)
def test_overlap_both_orders(a: str, b: str, expected: bool) -> None:
    for x, y in ((a, b), (b, a)):
        witness = overlap(x, y)
        assert (witness is not None) is expected, (x, y, witness)
        if witness is not None:
            assert matches(x, witness), (x, witness)
            assert matches(y, witness), (y, witness)


def test_overlap_witness_is_a_real_path() -> None:
    for a, b, expected in OVERLAP:
        witness = overlap(a, b)
        if expected:
            assert witness
            assert all(seg not in ("", ".", "..") for seg in witness.split("/"))


def test_overlap_requires_valid_patterns() -> None:
    with pytest.raises(GlobError, match=r"unbalanced '\['"):
        overlap("src/[ab", "src/a")
    with pytest.raises(GlobError):
        overlap("src/a", "/abs")


def test_overlap_exotic_characters_need_a_careful_witness() -> None:
    # The only common characters are outside the usual alphabet.
    witness = overlap("[!a-z0-9_x]", "[!A-Z.-]")
    assert witness is not None
    assert matches("[!a-z0-9_x]", witness)
    assert matches("[!A-Z.-]", witness)
    assert overlap("[ü-ž]", "[!ü-ž]") is None
    assert overlap("[ü-ž]", "ý") == "ý"


def test_overlap_handles_many_alternatives() -> None:
    big = "{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}/x"
    assert overlap(big, "bdfhjln/*") == "bdfhjln/x"
    assert overlap(big, "bdfhjlo/*") is None
    assert globs.MAX_ALTERNATIVES >= 128
