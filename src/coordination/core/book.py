"""A repo's active claims, indexed so a decision only looks at claims that can overlap."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from coordination.core.index import ClaimIndex
from coordination.core.model import ActiveClaim


class ClaimBook:
    """Active claims of one repo keyed by id, with a pattern index.

    The book may still hold claims whose time has run out; the engine checks
    liveness on every candidate, so an expired claim never blocks even before
    a sweep removes it.
    """

    def __init__(self, claims: Iterable[ActiveClaim] = ()) -> None:
        self._claims: dict[int, ActiveClaim] = {}
        self._index: ClaimIndex[int] = ClaimIndex()
        for claim in claims:
            self.put(claim)

    def __len__(self) -> int:
        return len(self._claims)

    def __iter__(self) -> Iterator[ActiveClaim]:
        return iter(self._claims.values())

    def get(self, claim_id: int) -> ActiveClaim | None:
        return self._claims.get(claim_id)

    def put(self, claim: ActiveClaim) -> None:
        old = self._claims.get(claim.id)
        if old is not None and old.pattern != claim.pattern:
            self._index.remove(claim.id)
            old = None
        self._claims[claim.id] = claim
        if old is None:
            self._index.add(claim.id, claim.pattern)

    def discard(self, claim_id: int) -> None:
        if self._claims.pop(claim_id, None) is not None:
            self._index.remove(claim_id)

    def candidates(self, pattern: str) -> list[ActiveClaim]:
        """Claims whose pattern may overlap `pattern`, in id order."""
        return [self._claims[i] for i in sorted(self._index.candidates(pattern))]
