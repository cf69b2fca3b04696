"""Overlap against the repo's tracked files (a `git ls-files` snapshot).

Two patterns that both match tracked files overlap iff they share one; a
pattern that matches no tracked file (a file about to be created) falls back
to the exact glob test.

A pattern is matched against the paths it can reach, not against the whole
list: the snapshot is sorted, so the paths below a pattern's literal directory
are one slice, and a pattern ending in a literal file name (`**/README.md`)
looks that name up instead. When a new listing differs from the previous one,
`FileSet.updated` carries every cached match over and tests only the paths
that were added or removed, so a refresh never re-matches the held patterns
against the whole checkout.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence

from coordination.core import globs

_MAX_CACHED_PATTERNS = 50_000


class PathIndex:
    """Sorted paths, looked up by directory (a bisect on the sorted tuple) or by file name."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths: tuple[str, ...] = tuple(sorted(set(paths)))
        self.members = frozenset(self.paths)
        self._names: dict[str, list[str]] | None = None

    def below(self, directory: str) -> tuple[int, int]:
        """The slice [lo, hi) of paths under `directory/` ("" for all)."""
        if not directory:
            return 0, len(self.paths)
        # '0' follows '/' in code point order: [dir/, dir0) holds exactly the paths under dir/.
        return bisect_left(self.paths, directory + "/"), bisect_left(self.paths, directory + "0")

    def _by_name(self) -> dict[str, list[str]]:
        names = self._names
        if names is None:
            names = {}
            for path in self.paths:
                names.setdefault(path.rpartition("/")[2], []).append(path)
            self._names = names
        return names

    def candidates(self, directory: str, name: str | None) -> Sequence[str]:
        """The paths a pattern bounded by (directory, name) can match (see `globs.literal_bounds`)."""
        lo, hi = self.below(directory)
        exact = (directory,) if directory and directory in self.members else ()
        if name is not None:
            named = self._by_name().get(name, ())
            if len(named) < hi - lo:
                prefix = directory + "/" if directory else ""
                return [p for p in named if p.startswith(prefix)] + list(exact)
        return self.paths[lo:hi] + exact

    def match(self, pattern: str) -> frozenset[str]:
        """The paths `pattern` matches (raises GlobError on an invalid pattern)."""
        literal = globs.literal_path(pattern)
        if literal is not None:
            return frozenset([literal]) if literal in self.members else frozenset()
        found: set[str] = set()
        for directory, name in globs.literal_bounds(pattern):
            candidates = self.candidates(directory, name)
            if candidates:
                found.update(globs.filter_paths(pattern, candidates))
        return frozenset(found)


class FileSet:
    """An immutable snapshot of tracked paths with a per-pattern match cache."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._index = PathIndex(paths)
        self._paths = self._index.paths
        self._members = self._index.members
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
        directory = path.rstrip("/")
        if not directory:
            return False
        lo, hi = self._index.below(directory)
        return lo < hi

    def matching(self, pattern: str) -> frozenset[str]:
        cached = self._cache.get(pattern)
        if cached is None:
            cached = self._match(pattern)
            if len(self._cache) >= _MAX_CACHED_PATTERNS:
                self._cache.clear()
            self._cache[pattern] = cached
        return cached

    def _match(self, pattern: str) -> frozenset[str]:
        return self._index.match(pattern)

    def updated(self, paths: Iterable[str]) -> FileSet:
        """The snapshot for a new listing: this one when nothing changed; otherwise a new
        snapshot whose cached matches are carried over, each tested only against the
        paths that were added (and cleared of those removed)."""
        fresh = FileSet(paths)
        if fresh._paths == self._paths:
            return self
        added = PathIndex(fresh._members - self._members)
        removed = self._members - fresh._members
        # A copy: request threads may add entries while this runs.
        for pattern, found in tuple(self._cache.items()):
            if removed and not found.isdisjoint(removed):
                found = found - removed
            if added.paths:
                new = added.match(pattern)
                if new:
                    found = found | new
            fresh._cache[pattern] = found
        return fresh

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
