"""Claim queue ordering: which waiting entry goes first. Pure: `now` is passed in.

Entries are ordered by effective priority, highest first, then by position
(the order they joined, per repo), lowest first. The effective priority is the
declared urgency's rank (low 0, normal 1, high 2, blocking 3), plus one once the
entry has waited longer than the age boost (0 disables the boost). So an old
normal entry ties with new high ones and, having joined earlier, goes before
them; it never overtakes a new blocking entry. A low entry likewise climbs only
to normal: one level, never more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from coordination.core.vocabulary import Urgency

AGE_BOOST_LEVELS = 1


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """What ordering needs to know about one waiting entry."""

    id: int
    position: int
    urgency: Urgency
    created_at: datetime


def effective_priority(entry: QueueEntry, now: datetime, age_boost_sec: float) -> int:
    """The urgency's rank, one higher once the entry is older than `age_boost_sec` (if > 0)."""
    rank = entry.urgency.rank
    if age_boost_sec > 0 and (now - entry.created_at).total_seconds() > age_boost_sec:
        rank += AGE_BOOST_LEVELS
    return rank


def sort_key(entry: QueueEntry, now: datetime, age_boost_sec: float) -> tuple[int, int]:
    """Ascending sort on this key gives queue order: priority DESC, then position ASC."""
    return (-effective_priority(entry, now, age_boost_sec), entry.position)


def ordered(entries: Iterable[QueueEntry], now: datetime, age_boost_sec: float) -> list[QueueEntry]:
    """Entries in the order the queue considers them for a grant."""
    return sorted(entries, key=lambda e: sort_key(e, now, age_boost_sec))
