"""Repo path globs: validation, matching, and exact glob-glob overlap.

Semantics
---------
A pattern is a repo-relative POSIX path anchored at the repo root (unlike
gitignore, a pattern never matches "at any depth"): ``*.md`` matches
``README.md`` but not ``docs/x.md``.

* ``*`` matches any run of characters inside one path segment (never ``/``).
  A segment that is only ``*`` needs a non-empty segment, so ``a/*/b`` does
  not match ``a/b``.
* ``?`` matches exactly one character other than ``/``.
* ``[abc]``, ``[a-z]``, ``[!a-z]`` and ``[^a-z]`` match one character other
  than ``/``. A ``]`` right after the opening ``[`` (or ``[!``) is a member;
  a ``-`` first or last is a member. A class must close inside its segment.
  Reversed ranges (``[z-a]``), ``-`` as a range endpoint and ``[`` inside a
  class (so POSIX classes such as ``[[:alpha:]]``) are rejected.
* ``{a,b}`` braces, nested or not, and bash-style sequences (``{1..3}``) are
  expanded with ``bracex`` into alternatives; a pattern matches a path when
  one alternative does. ``{a}`` (one item, no comma) stays literal, as in bash.
* ``**`` as a whole segment matches zero or more whole segments:
  ``a/**/b`` matches ``a/b`` and ``a/x/y/b``; ``**/x`` matches ``x``. A
  trailing ``**`` matches one or more segments, so ``src/**`` matches every
  path strictly below ``src/`` but not ``src`` itself. ``**`` alone matches
  every path. Inside a segment (``a**b``) it behaves like ``*``.
* Leading dots are not special: ``*``, ``?``, classes and ``**`` all match
  a leading ``.``. An agent claiming ``src/*`` means every file directly in
  ``src/``, ``src/.env`` included.
* Matching is case-sensitive. One trailing ``/`` on a pattern is ignored.
* ``!``, ``(``, ``)``, ``|``, ``@``, ``+``, ``~`` and ``,`` outside braces
  are ordinary characters.
* A backslash escapes the next character when it is one of ``*?[]{},``:
  ``pages/\\[id\\].tsx`` matches the one file ``pages/[id].tsx``. Any other
  backslash is refused (``/`` separates directories), as is one inside a
  character class (a class takes its members literally already: ``[*]``).
  ``escape(path)`` writes a path so; ``literal_path(pattern)`` reads it back.
* Bounded work: an alternative may hold at most MAX_WILDCARDS wildcards
  (``*``, ``?``, classes and ``**`` segments, each counting one) and at most
  MAX_GLOBSTARS ``**`` segments, and all alternatives together at most
  MAX_EXPANDED_LENGTH characters and MAX_EXPANDED_WILDCARDS wildcards; consecutive ``**`` segments mean the same as
  one and are merged. The overlap search below also has a step budget: a pair
  of valid patterns whose comparison would exceed it raises PatternTooComplex
  instead of spinning.

Valid paths have no empty, ``.`` or ``..`` segment, no NUL character and no
leading ``/``. Such malformed "paths" never match anything; they are not
files in a repo, and the overlap test below reasons about real paths only.

Matching uses ``wcmatch.glob`` with GLOBSTAR | DOTGLOB | FORCEUNIX | CASE.
Braces are expanded once, by ``bracex`` (the library wcmatch's own BRACE
flag calls), and the alternatives are handed to wcmatch as a pattern list
without the BRACE flag: expanding twice would differ on inputs such as
``{{1..2}..3}``.

``overlap(a, b)`` decides exactly whether some valid path matches both
patterns: leading literal segments are compared as strings, the rest of each
pattern becomes a small automaton (cached, and shared by every pattern with
the same rest, such as ``*.py`` or ``**``), and a breadth-first search over
pairs of states looks for a path accepted by both. The path walked is
returned as a witness.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import bracex
from wcmatch import glob as _wcglob

# The pattern limits are defined with every other limit (core.limits) and re-exported here.
from coordination.core.limits import (
    MAX_ALTERNATIVES,
    MAX_EXPANDED_LENGTH,
    MAX_EXPANDED_WILDCARDS,
    MAX_GLOBSTARS,
    MAX_PATTERN_LENGTH,
    MAX_WILDCARDS,
)

__all__ = [
    "MAX_ALTERNATIVES",
    "MAX_EXPANDED_LENGTH",
    "MAX_EXPANDED_WILDCARDS",
    "MAX_GLOBSTARS",
    "MAX_PATTERN_LENGTH",
    "MAX_WILDCARDS",
    "GlobError",
    "PatternTooComplex",
    "alternative_segments",
    "canonical",
    "escape",
    "filter_paths",
    "is_literal",
    "literal_path",
    "literal_prefixes",
    "matches",
    "module_pattern",
    "overlap",
    "validate",
]

# Edge checks one overlap search may make (about 10 ms); see PatternTooComplex.
SEARCH_BUDGET = 20_000
_POP_COST = 4  # a state pair taken from the queue costs about four edge checks
# Parsed patterns and automata are kept for every active claim a busy repo may
# hold (10,000 and more) plus the patterns being asked for, so a decision does
# not re-parse the held patterns it compares with (about 1 kB per entry).
_CACHE_SIZE = 32768
_REGEX_CACHE_SIZE = 4096  # compiled regexes are bigger; only queries and file scans use them
_DFA_STEPS = 4096  # memoised subset-construction steps per automaton

_WC_FLAGS = _wcglob.GLOBSTAR | _wcglob.DOTGLOB | _wcglob.FORCEUNIX | _wcglob.CASE
_META_CHARS = frozenset("*?[]{}")
_ESCAPABLE = frozenset("*?[]{},")  # what a backslash may escape
_TO_ESCAPE = re.compile(r"([*?\[\]{}])")  # ',' only means something between braces
_ESCAPED = re.compile(r"\\[*?\[\]{},]")
_DRIVE = re.compile(r"^[A-Za-z]:[/\\]")
# An empty, '.' or '..' segment, a leading '/' (an empty first segment) or a NUL.
_BAD_PATH = re.compile(r"(?:^|/)\.{0,2}(?:/|$)|\x00")
_MAX_CODEPOINT = 0x10FFFF


class GlobError(ValueError):
    """An invalid pattern; the message is a human-readable reason."""


class PatternTooComplex(GlobError):
    """Two valid patterns whose exact comparison would cost more than SEARCH_BUDGET steps."""


# ---------------------------------------------------------------------------
# Character labels


class _Label:
    """A set of characters one automaton step can read; never contains '/'.

    `lit` is set for a single literal character; otherwise the set is
    `ranges` (inclusive code point pairs), complemented when `neg` is true.
    """

    __slots__ = ("neg", "ranges", "lit", "has_dot", "cands")

    def __init__(self, neg: bool, ranges: tuple[tuple[int, int], ...]) -> None:
        self.neg = neg
        self.ranges = ranges
        single = not neg and len(ranges) == 1 and ranges[0][0] == ranges[0][1]
        self.lit: str | None = chr(ranges[0][0]) if single else None
        self.has_dot = self.contains(".")
        # Where a maximal run of characters in an intersection can start: a
        # range start, or just past a range end (see _intersect).
        cands: list[str] = []
        for lo, hi in ranges:
            for point in (lo, hi + 1):
                if point <= _MAX_CODEPOINT:
                    char = chr(point)
                    if char != "." and self.contains(char):
                        cands.append(char)
        self.cands = tuple(cands)

    def contains(self, char: str) -> bool:
        if char in "/\x00" or "\ud800" <= char <= "\udfff":
            return False
        point = ord(char)
        for lo, hi in self.ranges:
            if lo <= point <= hi:
                return not self.neg
        return self.neg

    def regex(self) -> str:
        if self.lit is not None:
            return re.escape(self.lit)
        body = "".join(
            re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in self.ranges
        )
        return f"[^/{body}]" if self.neg else f"[{body}]"


_LABELS: dict[tuple[bool, tuple[tuple[int, int], ...]], _Label] = {}


def _label(neg: bool, ranges: Iterable[tuple[int, int]]) -> _Label:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    key = (neg, tuple(merged))
    found = _LABELS.get(key)
    if found is None:
        if len(_LABELS) >= 65536:
            _LABELS.clear()
        found = _LABELS[key] = _Label(neg, key[1])
    return found


_ANY = _label(True, ())
_CHARS: dict[str, _Label] = {}  # the label of each literal character met so far


def _char_label(char: str) -> _Label:
    found = _CHARS.get(char)
    if found is None:
        if len(_CHARS) >= 65536:
            _CHARS.clear()
        found = _CHARS[char] = _label(False, ((ord(char), ord(char)),))
    return found


_NICE = ("x", "a", "_")
# Starts of runs that no label range explains: just past NUL, just past '/'
# (the character after '.' is '/'), just past the surrogates.
_FALLBACK = ("0", "\x01", "\ue000")

_Pick = tuple[bool, str | None]
_PICKS: dict[tuple[_Label, _Label], _Pick | None] = {}
_UNKNOWN: _Pick = (False, None)  # never a stored pick: disjoint pairs are stored as None


def _intersect(a: _Label, b: _Label) -> _Pick | None:
    """(can both read '.', a non-dot character both can read or None), None if disjoint.

    The intersection of two labels is a union of maximal runs of code points.
    Each run starts at the start of the universe, just past an excluded
    character, at a range start of a positive label, or just past a range
    end of a negated label; the candidate lists hold all of those points,
    so trying them finds a common character whenever one exists.
    """
    key = (a, b)
    cached = _PICKS.get(key, _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached
    dot = a.has_dot and b.has_dot
    other: str | None = None
    if a.lit is not None:
        other = a.lit if a.lit != "." and b.contains(a.lit) else None
    elif b.lit is not None:
        other = b.lit if b.lit != "." and a.contains(b.lit) else None
    else:
        for group in (_NICE, a.cands, b.cands, _FALLBACK):
            for char in group:
                if char != "." and a.contains(char) and b.contains(char):
                    other = char
                    break
            if other is not None:
                break
    result = (dot, other) if dot or other is not None else None
    if len(_PICKS) >= 65536:
        _PICKS.clear()
    _PICKS[key] = result
    return result


# ---------------------------------------------------------------------------
# Parsing


class _Star:
    """`*` inside a segment."""

    __slots__ = ()


_STAR = _Star()
_Token = _Label | _Star


@dataclass(frozen=True, slots=True)
class _Segment:
    text: str  # as written (escapes kept)
    globstar: bool
    tokens: tuple[_Token, ...]
    literal: bool
    name: str = ""  # a literal segment's path segment, escapes removed

    @property
    def wildcards(self) -> int:
        if self.globstar:
            return 1
        return sum(1 for t in self.tokens if isinstance(t, _Star) or t.lit is None)

    def regex(self) -> re.Pattern[str]:
        return _segment_regex(self)


@lru_cache(maxsize=_REGEX_CACHE_SIZE)
def _segment_regex(segment: _Segment) -> re.Pattern[str]:
    """A regex for `fullmatch` against one path segment, linear-ish on any input.

    Between two stars sits a fixed-length chunk, and taking its leftmost
    occurrence never loses a match, so each inner star is an atomic lazy
    search; a plain `[^/]*` per star would backtrack exponentially on
    `*a*a*a...*c` against `aaaa...`.
    """
    chunks: list[list[str]] = [[]]
    for token in segment.tokens:
        if isinstance(token, _Star):
            chunks.append([])
        else:
            chunks[-1].append(token.regex())
    texts = ["".join(chunk) for chunk in chunks]
    if len(texts) == 1:
        return re.compile(texts[0])
    inner = "".join(f"(?>[^/]*?{text})" for text in texts[1:-1])
    return re.compile(f"{texts[0]}{inner}[^/]*{texts[-1]}")


@dataclass(frozen=True, slots=True)
class _Parsed:
    alternatives: tuple[str, ...]
    segments: tuple[tuple[_Segment, ...], ...]
    literal: str | None  # the one path a literal pattern matches


def _parse_segment(text: str) -> _Segment:
    if text == "**":
        return _Segment(text, True, (), False)
    # Literal means written without wildcards or classes: `[.]x` is not literal.
    if "\\" not in text and not any(c in "*?[" for c in text):
        return _Segment(text, False, tuple(map(_char_label, text)), True, text)
    tokens: list[_Token] = []
    name: list[str] = []  # the literal characters, while there is no wildcard
    literal = True
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\":
            # Validated before: a backslash is always followed by an escapable character.
            tokens.append(_char_label(text[i + 1]))
            name.append(text[i + 1])
            i += 2
            continue
        if char in "*?[":
            literal = False
        else:
            name.append(char)
        if char == "*":
            if not tokens or tokens[-1] is not _STAR:
                tokens.append(_STAR)
            i += 1
        elif char == "?":
            tokens.append(_ANY)
            i += 1
        elif char == "[":
            label, i = _parse_class(text, i)
            tokens.append(label)
        else:
            tokens.append(_char_label(char))
            i += 1
    return _Segment(text, False, tuple(tokens), literal, "".join(name) if literal else "")


def _parse_class(text: str, start: int) -> tuple[_Label, int]:
    """Parse the class opening at text[start]; return its label and the index after it."""
    j = start + 1
    neg = j < len(text) and text[j] in "!^"
    if neg:
        j += 1
    first_member = j + 1 if j < len(text) and text[j] == "]" else j
    close = text.find("]", first_member)
    if close == -1:
        raise GlobError("unbalanced '[' in pattern")
    body = text[j:close]
    if "\\" in body:
        raise GlobError("a backslash inside a character class is not supported; a class takes its members literally")
    if "[" in body:
        raise GlobError("'[' inside a character class is not supported (nor are POSIX classes such as [[:alpha:]])")
    ranges: list[tuple[int, int]] = []
    p = 0
    while p < len(body):
        lo = body[p]
        if p + 2 < len(body) and body[p + 1] == "-":
            hi = body[p + 2]
            if lo == "-" or hi == "-":
                raise GlobError("'-' cannot be a range endpoint in a character class")
            if hi < lo:
                raise GlobError(f"reversed range '{lo}-{hi}' in character class")
            ranges.append((ord(lo), ord(hi)))
            p += 3
        else:
            ranges.append((ord(lo), ord(lo)))
            p += 1
    return _label(neg, ranges), close + 1


def _escape_problem(pattern: str) -> str | None:
    i = pattern.find("\\")
    while i != -1:
        if i + 1 >= len(pattern) or pattern[i + 1] not in _ESCAPABLE:
            return (
                "pattern contains a backslash; use '/' to separate directories "
                "(a backslash may only escape one of * ? [ ] { } ,)"
            )
        i = pattern.find("\\", i + 2)
    return None


def _brace_problem(pattern: str) -> str | None:
    depth = 0
    escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return "unbalanced '}' in pattern"
    return "unbalanced '{' in pattern" if depth else None


# C0 and C1 control characters (NUL included) and lone surrogates.
_BAD_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _parse_or_reason(pattern: object) -> _Parsed | str:
    if not isinstance(pattern, str) or not pattern:
        return "empty pattern"
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"pattern is longer than {MAX_PATTERN_LENGTH} characters"
    if _BAD_CHAR.search(pattern):
        return "pattern contains a NUL or control character"
    if pattern.startswith("/") or _DRIVE.match(pattern):
        return "absolute path; patterns are relative to the repo root"
    reason = _escape_problem(pattern)
    if reason:
        return reason
    text = pattern[:-1] if pattern.endswith("/") else pattern
    reason = _brace_problem(text)
    if reason:
        return reason
    if "{" in text:
        try:
            expanded = bracex.expand(text, keep_escapes=True, limit=MAX_ALTERNATIVES)
        except bracex.ExpansionLimitException:
            return f"braces expand to more than {MAX_ALTERNATIVES} alternatives"
        alternatives = tuple(dict.fromkeys(expanded))
    else:
        alternatives = (text,)
    if not alternatives or "" in alternatives:
        return "empty pattern (or an empty brace alternative)"
    if sum(map(len, alternatives)) > MAX_EXPANDED_LENGTH:
        return f"pattern too complex: its braces expand to more than {MAX_EXPANDED_LENGTH} characters"
    segments: list[tuple[_Segment, ...]] = []
    wildcards = 0
    for alternative in alternatives:
        if alternative.startswith("/"):
            return "absolute path; patterns are relative to the repo root"
        parts = alternative.split("/")
        if "" in parts:
            return "empty path segment ('//')"
        if "." in parts:
            return "'.' path segment"
        if ".." in parts:
            return "'..' path segment; patterns cannot leave the repo"
        if parts.count("**") > MAX_GLOBSTARS:
            return f"pattern too complex: more than {MAX_GLOBSTARS} '**' segments"
        try:
            parsed_parts = tuple(_parse_segment(part) for part in parts)
        except GlobError as exc:
            return str(exc)
        count = sum(part.wildcards for part in parsed_parts)
        if count > MAX_WILDCARDS:
            return (
                f"pattern too complex: more than {MAX_WILDCARDS} wildcards ('*', '?', classes, '**') in one alternative"
            )
        wildcards += count
        if wildcards > MAX_EXPANDED_WILDCARDS:
            return f"pattern too complex: its braces expand to more than {MAX_EXPANDED_WILDCARDS} wildcards"
        segments.append(_merge_globstars(parsed_parts))
    alternatives = tuple(dict.fromkeys("/".join(s.text for s in alt) for alt in segments))
    segments = list(dict.fromkeys(segments))
    literal = None
    if len(segments) == 1 and all(s.literal for s in segments[0]):
        literal = "/".join(s.name for s in segments[0])
    return _Parsed(alternatives, tuple(segments), literal)


def _merge_globstars(segments: tuple[_Segment, ...]) -> tuple[_Segment, ...]:
    """`a/**/**/b` means `a/**/b`: (zero or more segments) twice is zero or more, and
    before a trailing `**` (one or more) still one or more."""
    merged: list[_Segment] = []
    for segment in segments:
        if segment.globstar and merged and merged[-1].globstar:
            continue
        merged.append(segment)
    return tuple(merged)


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_cached(pattern: str) -> _Parsed | str:
    return _parse_or_reason(pattern)


def _parse(pattern: str) -> _Parsed:
    parsed = _parse_cached(pattern) if isinstance(pattern, str) else _parse_or_reason(pattern)
    if isinstance(parsed, str):
        raise GlobError(parsed)
    return parsed


# ---------------------------------------------------------------------------
# Public helpers


def validate(pattern: str) -> str | None:
    """None if `pattern` is a valid glob, else a human-readable reason.

    Refused: an empty pattern (or empty brace alternative), one longer than
    MAX_PATTERN_LENGTH, NUL or control characters, absolute paths ('/x',
    'C:/x', 'C:\\x'), backslashes, unbalanced '{' / '}' / '[', braces
    expanding to more than MAX_ALTERNATIVES alternatives, empty ('//'), '.'
    and '..' segments, reversed ranges, '-' as a range endpoint and '[' inside
    a class (POSIX classes).
    """
    parsed = _parse_cached(pattern) if isinstance(pattern, str) else _parse_or_reason(pattern)
    return parsed if isinstance(parsed, str) else None


def module_pattern(pattern: str) -> str:
    """The pattern of everything below a directory: 'src/auth' -> 'src/auth/**'."""
    text = pattern[:-1] if pattern.endswith("/") else pattern
    if text == "**" or text.endswith("/**"):
        return text
    return f"{text}/**"


def is_literal(pattern: str) -> bool:
    """True when the pattern has no unescaped glob metacharacter (``*?[]{}``).

    Such a valid pattern names exactly one path: ``pages/\\[id\\].tsx`` is
    the file ``pages/[id].tsx`` (see literal_path).
    """
    if "\\" in pattern:
        pattern = _ESCAPED.sub("", pattern)
    return not any(c in _META_CHARS for c in pattern)


def alternative_segments(pattern: str) -> tuple[tuple[_Segment, ...], ...]:
    """The parsed path segments of each brace alternative (for the claim index).

    Raises GlobError on an invalid pattern.
    """
    return _parse(pattern).segments


def literal_path(pattern: str) -> str | None:
    """The one path a literal pattern names (escapes removed), or None for a glob.

    Raises GlobError on an invalid pattern.
    """
    return _parse(pattern).literal


def escape(path: str) -> str:
    """A pattern matching exactly the path `path`: ``pages/[id].tsx`` -> ``pages/\\[id\\].tsx``.

    Plain paths come back unchanged, so ``escape`` is also the one spelling a
    literal path is stored under.
    """
    return _TO_ESCAPE.sub(r"\\\1", path)


def canonical(pattern: str) -> str:
    """One spelling per escaped literal path: ``a/\\[b].ts`` and ``a/\\[b\\].ts`` are both
    stored as ``a/\\[b\\].ts``. Anything else (globs, plain paths) is kept as written."""
    if "\\" not in pattern:
        return pattern
    parsed = _parse_cached(pattern)
    if isinstance(parsed, str) or parsed.literal is None:
        return pattern
    return escape(parsed.literal)


def literal_prefixes(pattern: str) -> tuple[tuple[str, ...], ...]:
    """Per brace alternative, the leading whole segments that are literal (escapes removed).

    Every path an alternative matches starts with that alternative's prefix
    segments. Duplicates are dropped; order follows the expansion.
    """
    prefixes: dict[tuple[str, ...], None] = {}
    for segments in _parse(pattern).segments:
        prefix: list[str] = []
        for segment in segments:
            if not segment.literal:
                break
            prefix.append(segment.name)
        prefixes[tuple(prefix)] = None
    return tuple(prefixes)


@lru_cache(maxsize=_CACHE_SIZE)
def literal_bounds(pattern: str) -> tuple[tuple[str, str | None], ...]:
    """Per brace alternative, (directory, name) bounding the paths it can match.

    Every path the alternative matches is `directory` or lies below it (the leading
    literal segments before the last one, joined with '/'; "" when there are none),
    and when the alternative's last segment is literal its last segment is `name`
    (None otherwise). A file list can then look a pattern up by directory or by
    file name instead of testing every path. Duplicates are dropped.
    """
    bounds: dict[tuple[str, str | None], None] = {}
    for segments in _parse(pattern).segments:
        directory: list[str] = []
        for segment in segments[:-1]:
            if not segment.literal:
                break
            directory.append(segment.name)
        last = segments[-1]
        bounds["/".join(directory), last.name if last.literal else None] = None
    return tuple(bounds)


@lru_cache(maxsize=_REGEX_CACHE_SIZE)
def _matcher(pattern: str) -> _wcglob.WcMatcher[str]:
    return _wcglob.compile(list(_parse(pattern).alternatives), flags=_WC_FLAGS)


def matches(pattern: str, path: str) -> bool:
    """Whether the repo path `path` matches `pattern`. Raises GlobError on a bad pattern."""
    parsed = _parse(pattern)
    if _BAD_PATH.search(path):
        return False
    if parsed.literal is not None:
        return path == parsed.literal
    return _matcher(pattern).match(path)


# Up to this many paths, `filter_paths` matches segment by segment (the per-segment regexes
# are shared by every pattern with that segment) instead of compiling the whole pattern,
# which costs about a millisecond: a new glob checked against one directory stays cheap.
_FEW_PATHS = 256


def filter_paths(pattern: str, paths: Iterable[str]) -> list[str]:
    """The paths (in input order) that `pattern` matches; the pattern is compiled once."""
    parsed = _parse(pattern)
    if parsed.literal is not None:
        literal = parsed.literal
        return [p for p in paths if p == literal]
    bad = _BAD_PATH.search
    listed = paths if isinstance(paths, (list, tuple)) else list(paths)
    if len(listed) <= _FEW_PATHS:
        alternatives = parsed.segments
        return [p for p in listed if not bad(p) and any(_segments_match(alt, p.split("/")) for alt in alternatives)]
    match = _matcher(pattern).match
    return [p for p in listed if not bad(p) and match(p)]


def _segments_match(segments: tuple[_Segment, ...], parts: list[str]) -> bool:
    """Whether the path segments `parts` match one alternative's segments: a set of
    positions in the pattern, advanced one path segment at a time. A `**` matches zero or
    more segments, except at the end, where it matches one or more."""
    last = len(segments) - 1

    def closure(positions: set[int]) -> set[int]:
        # a '**' that is not the last segment may match no segment at all
        out = set(positions)
        stack = list(positions)
        while stack:
            i = stack.pop()
            if i < last and segments[i].globstar and i + 1 not in out:
                out.add(i + 1)
                stack.append(i + 1)
        return out

    positions = closure({0})
    for part in parts:
        step: set[int] = set()
        for i in positions:
            if i > last:
                continue
            segment = segments[i]
            if segment.globstar:
                step.add(i)
                step.add(i + 1)
            elif segment.name == part if segment.literal else segment.regex().fullmatch(part):
                step.add(i + 1)
        if not step:
            return False
        positions = closure(step)
    return last + 1 in positions


# ---------------------------------------------------------------------------
# Automata and overlap


@dataclass(frozen=True, slots=True)
class _Automaton:
    """An epsilon-free NFA over characters; state 0 is the start.

    `steps` memoises the subset construction `_accepts` walks: (states,
    character) -> next states, so matching a literal path against a pattern
    met before costs a dictionary look-up per character.
    """

    chars: tuple[tuple[tuple[_Label, int], ...], ...]  # per state: (label, target)
    seps: tuple[tuple[int, ...], ...]  # per state: targets on '/'
    accept: tuple[bool, ...]
    steps: dict[tuple[frozenset[int], str], frozenset[int]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )


_START = frozenset([0])  # the start state alone
_SEP = "/"
_GLOBSTAR = "**/"
_TRAILING_GLOBSTAR = "/**"
_Edge = tuple[_Label | str | None, int]  # None: epsilon, "/": separator


class _Builder:
    def __init__(self) -> None:
        self.edges: list[list[_Edge]] = []
        self.memo: dict[tuple[int, _Label | _Star | str], int] = {}

    def new(self) -> int:
        self.edges.append([])
        return len(self.edges) - 1

    def add(self, source: int, label: _Label | str | None, target: int) -> None:
        self.edges[source].append((label, target))

    def alternative(self, start: int, segments: tuple[_Segment, ...]) -> int:
        """Add one alternative after `start`; return its accepting state.

        Alternatives share the states of their common leading items, so the
        expansion of `src/{a,b}/*.{ts,tsx}` spells `src/` once.
        """
        cur = start
        last = len(segments) - 1
        for i, segment in enumerate(segments):
            if segment.globstar:
                cur = self.step(cur, _TRAILING_GLOBSTAR if i == last else _GLOBSTAR)
                continue
            for token in segment.tokens:
                cur = self.step(cur, token)
            if i != last:
                cur = self.step(cur, _SEP)
        return cur

    def step(self, cur: int, item: _Label | _Star | str) -> int:
        """The state after reading `item` from `cur` (built once per state and item)."""
        key = (cur, item)
        found = self.memo.get(key)
        if found is not None:
            return found
        if isinstance(item, _Label):
            nxt = self.new()
            self.add(cur, item, nxt)
        elif isinstance(item, _Star):  # any run of non-'/' characters
            nxt = self.new()
            self.add(cur, None, nxt)
            self.add(nxt, _ANY, nxt)
        elif item == _SEP:
            nxt = self.new()
            self.add(cur, _SEP, nxt)
        elif item == _TRAILING_GLOBSTAR:  # one or more whole segments: S(/S)*
            nxt = self.new()
            self.add(cur, _ANY, nxt)
            self.add(nxt, _ANY, nxt)
            sep = self.new()
            self.add(nxt, _SEP, sep)
            self.add(sep, _ANY, nxt)
        else:  # zero or more whole segments, each followed by '/': (S/)*
            nxt = self.new()
            self.add(cur, None, nxt)
            seg = self.new()
            self.add(nxt, _ANY, seg)
            self.add(seg, _ANY, seg)
            self.add(seg, _SEP, nxt)
        self.memo[key] = nxt
        return nxt

    def closure(self, state: int) -> list[int]:
        seen = [state]
        stack = [state]
        while stack:
            for label, target in self.edges[stack.pop()]:
                if label is None and target not in seen:
                    seen.append(target)
                    stack.append(target)
        return seen

    def finish(self, start: int, accepting: set[int]) -> _Automaton:
        closures = [self.closure(q) for q in range(len(self.edges))]
        numbering = {start: 0}
        order = [start]
        chars: list[tuple[tuple[_Label, int], ...]] = []
        seps: list[tuple[int, ...]] = []
        accept: list[bool] = []
        index = 0
        while index < len(order):
            state = order[index]
            index += 1
            char_edges: dict[tuple[_Label, int], None] = {}
            sep_edges: dict[int, None] = {}
            for member in closures[state]:
                for label, target in self.edges[member]:
                    if label is None:
                        continue
                    if target not in numbering:
                        numbering[target] = len(order)
                        order.append(target)
                    if isinstance(label, _Label):
                        char_edges[(label, numbering[target])] = None
                    else:
                        sep_edges[numbering[target]] = None
            chars.append(tuple(char_edges))
            seps.append(tuple(sep_edges))
            accept.append(any(m in accepting for m in closures[state]))
        return _Automaton(tuple(chars), tuple(seps), tuple(accept))


@lru_cache(maxsize=_CACHE_SIZE)
def _automaton(pattern: str) -> _Automaton:
    parsed = _parse(pattern)
    if len(parsed.segments) == 1:
        return _tail_automaton(tuple(segment.text for segment in parsed.segments[0]))
    builder = _Builder()
    start = builder.new()
    accepting: set[int] = set()
    for segments in parsed.segments:
        accepting.add(builder.alternative(start, segments))
    # Only brace expansions repeat suffixes worth merging.
    return _reduce(builder.finish(start, accepting))


@lru_cache(maxsize=_CACHE_SIZE)
def _tail_automaton(texts: tuple[str, ...]) -> _Automaton:
    """The automaton of one alternative given by its segment texts.

    A segment's meaning depends on its text alone (braces are expanded
    before), so tails such as ``*.py`` or ``**`` shared by many claims below
    different directories are built, and matched against, once.
    """
    builder = _Builder()
    start = builder.new()
    accept = builder.alternative(start, tuple(_parse_segment(text) for text in texts))
    return builder.finish(start, {accept})


_Split = tuple[tuple[str, ...], tuple[str, ...]]


@lru_cache(maxsize=_CACHE_SIZE)
def _split(pattern: str) -> _Split | None:
    """(leading literal segments as path segments, the rest as written) of a
    one-alternative pattern; None with braces.

    The rest keeps at least one segment. Every path the pattern matches is
    the literal segments followed by a path the rest matches.
    """
    alternatives = _parse(pattern).segments
    if len(alternatives) != 1:
        return None
    segments = alternatives[0]
    cut = 0
    while cut < len(segments) - 1 and segments[cut].literal:
        cut += 1
    head = tuple(segment.name for segment in segments[:cut])
    return head, tuple(segment.text for segment in segments[cut:])


def _reduce(automaton: _Automaton) -> _Automaton:
    """Merge states with the same future (bisimulation), so shared suffixes count once."""
    chars, seps, accept = automaton.chars, automaton.seps, automaton.accept
    size = len(accept)
    block = [int(flag) for flag in accept]
    count = len(set(block))
    while True:
        signatures: dict[tuple[object, ...], int] = {}
        refined = []
        for q in range(size):
            signature = (
                block[q],
                frozenset((label, block[t]) for label, t in chars[q]),
                frozenset(block[t] for t in seps[q]),
            )
            refined.append(signatures.setdefault(signature, len(signatures)))
        block = refined
        if len(signatures) == count:
            break
        count = len(signatures)
    if count == size:
        return automaton
    # Renumber blocks in order of first appearance so the start stays 0.
    order: dict[int, int] = {}
    for q in range(size):
        order.setdefault(block[q], len(order))
    new_chars: list[tuple[tuple[_Label, int], ...]] = [()] * count
    new_seps: list[tuple[int, ...]] = [()] * count
    new_accept = [False] * count
    for q in range(size):
        b = order[block[q]]
        if new_chars[b] or new_seps[b] or new_accept[b]:
            continue
        new_chars[b] = tuple(dict.fromkeys((label, order[block[t]]) for label, t in chars[q]))
        new_seps[b] = tuple(dict.fromkeys(order[block[t]] for t in seps[q]))
        new_accept[b] = accept[q]
    return _Automaton(tuple(new_chars), tuple(new_seps), tuple(new_accept))


# Segment progress while searching: 0 empty, 1 ".", 2 "..", 3 a valid segment.
_AFTER_DOT = (1, 2, 3, 3)


def overlap(a: str, b: str) -> str | None:
    """A path matching both patterns, or None when no valid path can match both.

    Exact in both directions. Raises GlobError when either pattern is invalid,
    PatternTooComplex when the search would exceed SEARCH_BUDGET steps.
    """
    try:
        return _overlap(a, b)
    except PatternTooComplex:
        raise PatternTooComplex(
            f"pattern too complex: comparing {a!r} with {b!r} exceeds the overlap search budget; use fewer wildcards"
        ) from None


def _overlap(a: str, b: str) -> str | None:
    literal_a = _parse(a).literal
    literal_b = _parse(b).literal
    if literal_a is not None:
        if literal_b is not None:
            return literal_a if literal_a == literal_b else None
        return literal_a if _matches_literal(b, literal_a) else None
    if literal_b is not None:
        return literal_b if _matches_literal(a, literal_b) else None
    split_a, split_b = _split(a), _split(b)
    if split_a is None or split_b is None:
        return _search(_automaton(a), _automaton(b))
    # Leading literal segments must agree one for one. Where one pattern's
    # literal head goes on, the other's tail reads it; then the two tails
    # (`*.py` against `**/config.py`, say: few, and shared by many claims)
    # are compared from there.
    (head_a, tail_a), (head_b, tail_b) = split_a, split_b
    common = min(len(head_a), len(head_b))
    if head_a[:common] != head_b[:common]:
        return None
    if len(head_a) > common:
        head, first, second = head_a, tail_a, tail_b
    else:
        head, first, second = head_b, tail_b, tail_a
    starts = _START
    if len(head) > common:
        rest = "/".join(head[common:]) + "/"
        starts = _run(_tail_automaton(second), _START, rest)
        if not starts:
            return None
    witness = _tail_overlap(first, second, starts)
    if witness is None or not head:
        return witness
    return "/".join(head) + "/" + witness


@lru_cache(maxsize=_CACHE_SIZE)
def _tail_overlap(first: tuple[str, ...], second: tuple[str, ...], starts: frozenset[int]) -> str | None:
    return _search(_tail_automaton(first), _tail_automaton(second), starts)


def _matches_literal(pattern: str, path: str) -> bool:
    """Whether the (valid) path matches the non-literal pattern."""
    split = _split(pattern)
    if split is None:
        return _accepts(_automaton(pattern), path)
    head, tail = split
    if head:
        parts = path.split("/", len(head))
        # The tail matches no empty path, so the path must go on past the head.
        if len(parts) <= len(head) or tuple(parts[: len(head)]) != head:
            return False
        path = parts[-1]
    return _accepts(_tail_automaton(tail), path)


def _search(first: _Automaton, second: _Automaton, starts: frozenset[int] = _START) -> str | None:
    """A valid path both automata accept (breadth-first over state pairs), or None.

    `first` starts in its start state, `second` in any of `starts`. Raises
    PatternTooComplex once SEARCH_BUDGET edge pairs have been looked at.
    """
    a_chars, a_seps, a_accept = first.chars, first.seps, first.accept
    b_chars, b_seps, b_accept = second.chars, second.seps, second.accept
    width = len(b_accept) * 4
    # state key: (qa * len(b) + qb) * 4 + segment progress
    queue: deque[int] = deque(qb * 4 for qb in sorted(starts))
    parents: dict[int, tuple[int, str]] = {key: (-1, "") for key in queue}
    picks = _PICKS
    budget = SEARCH_BUDGET
    while queue:
        key = queue.popleft()
        qa, rest = divmod(key, width)
        qb, progress = divmod(rest, 4)
        if progress == 3:
            if a_accept[qa] and b_accept[qb]:
                return _witness(parents, key)
            for ta in a_seps[qa]:
                for tb in b_seps[qb]:
                    nxt = (ta * width) + tb * 4
                    if nxt not in parents:
                        parents[nxt] = (key, "/")
                        queue.append(nxt)
        b_edges = b_chars[qb]
        if not b_edges:
            continue
        a_edges = a_chars[qa]
        budget -= len(a_edges) * len(b_edges) + _POP_COST
        if budget < 0:
            raise PatternTooComplex("pattern too complex")
        for la, ta in a_edges:
            base = ta * width
            for lb, tb in b_edges:
                pick = picks.get((la, lb), _UNKNOWN)
                if pick is _UNKNOWN:
                    pick = _intersect(la, lb)
                if pick is None:
                    continue
                dot, other = pick
                if other is not None:
                    nxt = base + tb * 4 + 3
                    if nxt not in parents:
                        parents[nxt] = (key, other)
                        queue.append(nxt)
                if dot:
                    nxt = base + tb * 4 + _AFTER_DOT[progress]
                    if nxt not in parents:
                        parents[nxt] = (key, ".")
                        queue.append(nxt)
    return None


def _accepts(automaton: _Automaton, path: str) -> bool:
    """Whether the automaton accepts the (valid) path."""
    return any(automaton.accept[q] for q in _run(automaton, _START, path))


def _run(automaton: _Automaton, current: frozenset[int], text: str) -> frozenset[int]:
    """The states the automaton can be in after reading `text` from `current` (empty: none)."""
    steps = automaton.steps
    for char in text:
        nxt = steps.get((current, char))
        if nxt is None:
            nxt = _step(automaton, current, char)
            if len(steps) >= _DFA_STEPS:
                steps.clear()
            steps[(current, char)] = nxt
        if not nxt:
            return nxt
        current = nxt
    return current


def _step(automaton: _Automaton, current: frozenset[int], char: str) -> frozenset[int]:
    if char == "/":
        seps = automaton.seps
        return frozenset(t for q in current for t in seps[q])
    chars = automaton.chars
    return frozenset(
        t
        for q in current
        for label, t in chars[q]
        if (label.lit == char if label.lit is not None else label.contains(char))
    )


def _witness(parents: dict[int, tuple[int, str]], key: int) -> str:
    chars: list[str] = []
    while True:
        key, char = parents[key]
        if key == -1:
            return "".join(reversed(chars))
        chars.append(char)
