"""Overlap against the repo's tracked files (a `git ls-files` snapshot).

Two patterns that both match tracked files overlap iff they share one; a
pattern that matches no tracked file (a file about to be created) falls back
to the exact glob test. The snapshot is a sorted tuple so a pattern with a
literal leading directory only scans that directory's slice.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable

from coordination.core import globs

_MAX_CACHED_PATTERNS = 50_000


class FileSet:
    """An immutable snapshot of tracked paths with a per-pattern match cache."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._paths: tuple[str, ...] = tuple(sorted(set(paths)))
        self._members = frozenset(self._paths)
        self._cache: dict[str, frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self._paths)

    @property
    def paths(self) -> tuple[str, ...]:
        return self._paths

    def __contains__(self, path: object) -> bool:
        return path in self._members

    def has_directory(self, path: str) -> bool:
        """Whether some tracked file lies below the directory `path`."""
        prefix = path.rstrip("/") + "/"
        at = bisect_left(self._paths, prefix)
        return at < len(self._paths) and self._paths[at].startswith(prefix)

    def matching(self, pattern: str) -> frozenset[str]:
        cached = self._cache.get(pattern)
        if cached is None:
            cached = self._match(pattern)
            if len(self._cache) >= _MAX_CACHED_PATTERNS:
                self._cache.clear()
            self._cache[pattern] = cached
        return cached

    def _match(self, pattern: str) -> frozenset[str]:
        literal = globs.literal_path(pattern)
        if literal is not None:
            return frozenset([literal]) if literal in self._members else frozenset()
        found: set[str] = set()
        for prefix in globs.literal_prefixes(pattern):
            found.update(globs.filter_paths(pattern, self._slice(prefix)))
        return frozenset(found)

    def _slice(self, prefix: tuple[str, ...]) -> tuple[str, ...]:
        if not prefix:
            return self._paths
        start_key = "/".join(prefix)
        lo = bisect_left(self._paths, start_key)
        hi = bisect_left(self._paths, start_key + "\U0010ffff")
        return self._paths[lo:hi]

    def overlap(self, a: str, b: str) -> bool:
        in_a, in_b = self.matching(a), self.matching(b)
        if in_a and in_b:
            return not in_a.isdisjoint(in_b)
        return globs.overlap(a, b) is not None


def overlap_function(files: FileSet | None, strict: bool = True) -> Callable[[str, str], bool]:
    """The overlap test to use: file-list based when a snapshot exists.

    Strict tests raise globs.PatternTooComplex for a pair too costly to compare
    (a request answers 400); the others, for decisions nobody is asking about
    right now (queue grants, negotiation), assume such a pair overlaps, which
    can delay a grant but never grants one scope twice.
    """
    test = files.overlap if files is not None else _glob_overlap
    if strict:
        return test

    def cautious(a: str, b: str) -> bool:
        try:
            return test(a, b)
        except globs.PatternTooComplex:
            return True

    return cautious


def _glob_overlap(a: str, b: str) -> bool:
    return globs.overlap(a, b) is not None
