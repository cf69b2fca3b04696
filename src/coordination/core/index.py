"""An index of active claim patterns that narrows overlap checks to a few candidates.

Each claim pattern is filed in a trie of path segments under the literal
leading segments of each of its brace alternatives (``src/auth/*.py`` under
``src`` -> ``auth``; ``**/x`` at the root). A literal segment of a pattern
matches exactly one path segment, so a stored pattern can only overlap a
query whose paths start with the stored prefix.

A query walks the trie along its own segments: a literal segment follows one
child, a glob segment follows the children whose name it matches, a ``**``
segment takes the whole subtree below, and running out of segments stops the
walk (deeper prefixes need longer paths). Every key filed on a node the walk
reaches is a candidate. This never misses a real overlap: for a common path,
the query's segments before its first ``**`` each match the corresponding
segment of the stored prefix, so the walk reaches the node where the stored
key is filed, or a ``**`` takes in the subtree holding it.

The cost of a query follows the part of the trie it reaches, not the number
of stored claims.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

from coordination.core import globs

K = TypeVar("K", bound=Hashable)

__all__ = ["ClaimIndex", "K"]


class _Node(Generic[K]):
    __slots__ = ("children", "keys")

    def __init__(self) -> None:
        self.children: dict[str, _Node[K]] = {}
        self.keys: set[K] = set()


class ClaimIndex(Generic[K]):
    """Keys filed by pattern; `candidates` returns a superset of the overlapping keys."""

    def __init__(self) -> None:
        self._root: _Node[K] = _Node()
        self._filed: dict[K, tuple[tuple[str, ...], ...]] = {}

    def __len__(self) -> int:
        return len(self._filed)

    def __contains__(self, key: object) -> bool:
        return key in self._filed

    def add(self, key: K, pattern: str) -> None:
        """File `key` under `pattern` (replacing an earlier entry for the same key).

        Raises globs.GlobError when the pattern is invalid.
        """
        prefixes = globs.literal_prefixes(pattern)
        if key in self._filed:
            self.remove(key)
        for prefix in prefixes:
            node = self._root
            for name in prefix:
                child = node.children.get(name)
                if child is None:
                    child = node.children[name] = _Node()
                node = child
            node.keys.add(key)
        self._filed[key] = prefixes

    def remove(self, key: K) -> None:
        """Forget `key`; a no-op when it is not filed."""
        prefixes = self._filed.pop(key, None)
        if prefixes is None:
            return
        for prefix in prefixes:
            trail: list[_Node[K]] = [self._root]
            for name in prefix:
                child = trail[-1].children.get(name)
                if child is None:  # pragma: no cover - the trie always holds filed prefixes
                    break
                trail.append(child)
            else:
                trail[-1].keys.discard(key)
                # Drop nodes left with neither keys nor children.
                for depth in range(len(prefix), 0, -1):
                    node = trail[depth]
                    if node.keys or node.children:
                        break
                    del trail[depth - 1].children[prefix[depth - 1]]

    def candidates(self, pattern: str) -> set[K]:
        """Keys whose pattern may overlap `pattern` (a superset; never misses one).

        Raises globs.GlobError when the pattern is invalid.
        """
        found: set[K] = set()
        for segments in globs._parse(pattern).segments:
            self._walk(segments, found)
        return found

    def _walk(self, segments: tuple[globs._Segment, ...], found: set[K]) -> None:
        frontier: list[_Node[K]] = [self._root]
        for segment in segments:
            for node in frontier:
                found |= node.keys
            if segment.globstar:
                self._subtrees(frontier, found)
                return
            nxt: list[_Node[K]] = []
            if segment.literal:
                for node in frontier:
                    child = node.children.get(segment.text)
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
            found |= node.keys

    @staticmethod
    def _subtrees(nodes: list[_Node[K]], found: set[K]) -> None:
        stack = [child for node in nodes for child in node.children.values()]
        while stack:
            node = stack.pop()
            found |= node.keys
            stack.extend(node.children.values())
