"""Is one glob inside another? Used when a holder narrows a claim to part of its scope.

`covers(outer, inner)` answers "does every path `inner` matches also match
`outer`?". It is sound but deliberately conservative: True is always right;
False may also mean "could not prove it" for exotic pairs (a character class
inside a starred segment, several stars in one segment). The pairs people
actually use are decided exactly: a file or a sub-directory glob under a
directory glob (`src/auth/**` inside `src/**`), a literal path under any glob,
a `*.py` segment under `*`, `test_*.py` under `*.py`, brace alternatives.

Pure: no I/O. Both patterns must already be valid (`globs.validate`).
"""

from __future__ import annotations

import re
from functools import lru_cache

import bracex

from coordination.core import globs

_META = frozenset("*?[]{}")
_GLOBSTAR = "**"
_STARS = re.compile(r"\*{2,}")


def covers(outer: str, inner: str) -> bool:
    """True when every repo path matching `inner` also matches `outer`."""
    if globs.validate(outer) or globs.validate(inner):
        return False
    if globs.is_literal(inner):
        return globs.matches(outer, _strip(inner))
    outer_alts = _alternatives(outer)
    return all(any(_sequence_covers(o, i) for o in outer_alts) for i in _alternatives(inner))


def _strip(pattern: str) -> str:
    return pattern[:-1] if pattern.endswith("/") else pattern


@lru_cache(maxsize=1024)
def _alternatives(pattern: str) -> tuple[tuple[str, ...], ...]:
    """Brace alternatives, each split into segments; `a**b` inside a segment is `a*b`."""
    expanded = bracex.expand(_strip(pattern), limit=globs.MAX_ALTERNATIVES)
    out = []
    for alternative in dict.fromkeys(expanded):
        segments = tuple(s if s == _GLOBSTAR else _STARS.sub("*", s) for s in alternative.split("/"))
        out.append(segments)
    return tuple(out)


def _sequence_covers(outer: tuple[str, ...], inner: tuple[str, ...]) -> bool:
    memo: dict[tuple[int, int], bool] = {}

    def walk(i: int, j: int) -> bool:
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == len(outer):
            result = j == len(inner)
        elif outer[i] == _GLOBSTAR and i == len(outer) - 1:
            # A trailing `**` is one or more whole segments: any non-empty rest of
            # `inner` fits (an inner `**` there is trailing too, or is followed by
            # a segment, so it never matches nothing at all).
            result = j < len(inner)
        elif outer[i] == _GLOBSTAR:
            # `**/` is zero or more whole segments: absorb any run of `inner`.
            result = any(walk(i + 1, t) for t in range(j, len(inner) + 1))
        elif j < len(inner) and inner[j] != _GLOBSTAR:
            result = _segment_covers(outer[i], inner[j]) and walk(i + 1, j + 1)
        else:
            result = False
        memo[key] = result
        return result

    return walk(0, 0)


def _segment_covers(outer: str, inner: str) -> bool:
    """Does every segment `inner` matches also match `outer`? (no '/', no braces)"""
    if outer == inner or outer == "*":
        return True
    if not any(c in _META for c in inner):
        try:
            return globs.matches(outer, inner)
        except globs.GlobError:
            return False
    # `PRE*SUF` with literal PRE and SUF covers a glob segment whose literal
    # head starts with PRE and whose literal tail ends with SUF: the glob's
    # meta characters sit between head and tail, so the two never overlap.
    if outer.count("*") == 1 and not any(c in _META for c in outer.replace("*", "")):
        pre, _, suf = outer.partition("*")
        head, tail = _literal_head(inner), _literal_tail(inner)
        return head.startswith(pre) and tail.endswith(suf)
    return False


def _literal_head(segment: str) -> str:
    for index, char in enumerate(segment):
        if char in _META:
            return segment[:index]
    return segment


def _literal_tail(segment: str) -> str:
    for index in range(len(segment) - 1, -1, -1):
        if segment[index] in _META:
            return segment[index + 1 :]
    return segment
