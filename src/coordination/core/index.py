"""An index of active claim patterns that narrows overlap checks to a few candidates.

Each claim pattern is filed in a trie of path segments under the literal
leading segments of each of its brace alternatives (``src/auth/*.py`` under
``src`` -> ``auth``; ``**/x`` at the root), marked "exact" when the whole
alternative is that literal path and "open" when it goes on with a wildcard
segment. A literal segment matches exactly one path segment, so a stored
pattern can only overlap a query whose paths start with the stored prefix.

A query walks the trie along its own segments: a literal segment follows one
child, a glob segment follows the children whose name it matches, a ``**``
segment takes in the whole subtree below, and running out of segments stops
the walk. While the query goes on it picks up the open keys on the nodes it
passes; where it ends it picks up the exact keys. This never misses a real
overlap: for a common path, the query's segments before its first ``**``
each match the corresponding segment of the stored prefix, so the walk
reaches the node where the stored key is filed, or a ``**`` takes in the
subtree holding it; and path lengths rule out the keys it skips (an open key
needs a longer path than its prefix, an exact key exactly its own).

The cost of a query follows the part of the trie it reaches, not the number
of stored claims: an exact file among 10,000 claims looks at one branch.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

from coordination.core import globs

K = TypeVar("K", bound=Hashable)

__all__ = ["ClaimIndex", "K"]


class _Node(Generic[K]):
    """Keys filed under one literal prefix.

    `exact` keys have an alternative that is exactly this literal path;
    `open` keys have an alternative that goes on with a wildcard segment, so
    they only match paths longer than the prefix.
    """

    __slots__ = ("children", "exact", "open")

    def __init__(self) -> None:
        self.children: dict[str, _Node[K]] = {}
        self.exact: set[K] = set()
        self.open: set[K] = set()


_Filing = tuple[tuple[str, ...], bool]  # (literal prefix, whole alternative is literal)


def _filings(pattern: str) -> tuple[_Filing, ...]:
    filings: dict[_Filing, None] = {}
    for segments in globs.alternative_segments(pattern):
        prefix: list[str] = []
        for segment in segments:
            if not segment.literal:
                break
            prefix.append(segment.name)
        filings[(tuple(prefix), len(prefix) == len(segments))] = None
    return tuple(filings)


class ClaimIndex(Generic[K]):
    """Keys filed by pattern; `candidates` returns a superset of the overlapping keys."""

    def __init__(self) -> None:
        self._root: _Node[K] = _Node()
        self._filed: dict[K, tuple[_Filing, ...]] = {}

    def __len__(self) -> int:
        return len(self._filed)

    def __contains__(self, key: object) -> bool:
        return key in self._filed

    def add(self, key: K, pattern: str) -> None:
        """File `key` under `pattern` (replacing an earlier entry for the same key).

        Raises globs.GlobError when the pattern is invalid.
        """
        filings = _filings(pattern)
        if key in self._filed:
            self.remove(key)
        for prefix, exact in filings:
            node = self._root
            for name in prefix:
                child = node.children.get(name)
                if child is None:
                    child = node.children[name] = _Node()
                node = child
            (node.exact if exact else node.open).add(key)
        self._filed[key] = filings

    def remove(self, key: K) -> None:
        """Forget `key`; a no-op when it is not filed."""
        filings = self._filed.pop(key, None)
        if filings is None:
            return
        for prefix, exact in filings:
            trail: list[_Node[K]] = [self._root]
            for name in prefix:
                child = trail[-1].children.get(name)
                if child is None:  # pragma: no cover - the trie always holds filed prefixes
                    break
                trail.append(child)
            else:
                (trail[-1].exact if exact else trail[-1].open).discard(key)
                # Drop nodes left with neither keys nor children.
                for depth in range(len(prefix), 0, -1):
                    node = trail[depth]
                    if node.exact or node.open or node.children:
                        break
                    del trail[depth - 1].children[prefix[depth - 1]]

    def candidates(self, pattern: str) -> set[K]:
        """Keys whose pattern may overlap `pattern` (a superset; never misses one).

        Raises globs.GlobError when the pattern is invalid.
        """
        found: set[K] = set()
        for segments in globs.alternative_segments(pattern):
            self._walk(segments, found)
        return found

    def _walk(self, segments: tuple[globs._Segment, ...], found: set[K]) -> None:
        # Before its first '**' every query segment reads exactly one path
        # segment, and a '**' segment is always followed by at least one more
        # path segment; so while the query goes on, only `open` keys on the
        # walk can match, and once it ends only `exact` ones.
        frontier: list[_Node[K]] = [self._root]
        for segment in segments:
            for node in frontier:
                found |= node.open
            if segment.globstar:
                self._subtrees(frontier, found)
                return
            nxt: list[_Node[K]] = []
            if segment.literal:
                for node in frontier:
                    child = node.children.get(segment.name)
                    if child is not None:
                        nxt.append(child)
            else:
                match = segment.regex().fullmatch
                for node in frontier:
                    nxt.extend(c for name, c in node.children.items() if match(name))
            if not nxt:
                return
            frontier = nxt
        for node in frontier:
            found |= node.exact

    @staticmethod
    def _subtrees(nodes: list[_Node[K]], found: set[K]) -> None:
        stack = [child for node in nodes for child in node.children.values()]
        while stack:
            node = stack.pop()
            found |= node.exact
            found |= node.open
            stack.extend(node.children.values())
