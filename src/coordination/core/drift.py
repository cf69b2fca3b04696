"""Tracked-file drift: overlaps a change of the repo's file list creates between held claims.

In `COORD_REPO_ROOT` mode two patterns overlap iff some tracked file matches
both (or, when one matches none, iff the globs overlap). Claims granted side by
side can therefore come to overlap later, when a commit adds (or removes) a
file. Nothing is revoked: both holders are told, and the pre-push check treats
each one's claim as the other's. Pure: the caller passes both file lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coordination.core.book import ClaimBook
from coordination.core.decisions import collide
from coordination.core.files import FileSet
from coordination.core.model import ActiveClaim

MAX_PATHS = 20


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two live claims of different engineers that the current file list makes collide."""

    first: ActiveClaim  # the lower id
    second: ActiveClaim
    paths: tuple[str, ...]  # tracked files both cover (at most MAX_PATHS)


def new_overlaps(
    book: ClaimBook, before: FileSet | None, after: FileSet, is_live: Callable[[ActiveClaim], bool]
) -> list[Overlap]:
    """Colliding pairs among the live claims whose matched files changed from `before` to
    `after` (every live claim when `before` is None), in id order."""
    affected = [
        c for c in book if is_live(c) and (before is None or before.matching(c.pattern) != after.matching(c.pattern))
    ]
    seen: set[tuple[int, int]] = set()
    found: list[Overlap] = []
    for claim in affected:
        for other in book.candidates(claim.pattern):
            if other.engineer == claim.engineer or not is_live(other):
                continue
            first, second = sorted((claim, other), key=lambda c: c.id)
            key = (first.id, second.id)
            if key in seen:
                continue
            seen.add(key)
            if after.overlap(first.pattern, second.pattern) and collide(first, second):
                both = sorted(after.matching(first.pattern) & after.matching(second.pattern))
                found.append(Overlap(first, second, tuple(both[:MAX_PATHS])))
    return sorted(found, key=lambda o: (o.first.id, o.second.id))
