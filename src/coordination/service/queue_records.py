"""What the claim queue gives back: frozen records of its entries, built once from the stored rows.

Like `service.records`: the vocabulary's enums, tuples and aware UTC datetimes; the
API validates them into its response models (`from_attributes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coordination.core.vocabulary import ClaimState, ClaimType, QueueState, Urgency

__all__ = ["QueueBlocker", "QueueEntry", "QueueGrant", "QueueItem", "QueueJoin", "QueueWait"]


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One scope an entry asks for."""

    type: ClaimType
    pattern: str
    symbols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QueueBlocker:
    """An active claim an entry waits on, and who holds it."""

    claim_id: int
    engineer: str
    type: ClaimType
    pattern: str
    symbols: tuple[str, ...]
    state: ClaimState
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A claim-queue entry in any state, with the claims it waits on (`GET /queue/{id}`).

    `place` is its place in its repo's queue order (1 = considered first) when a
    listing of waiting entries computed it, else None.
    """

    id: int
    repo_id: str
    engineer: str
    session_id: str | None
    urgency: Urgency
    priority: int
    effective_priority: int
    position: int
    place: int | None
    state: QueueState
    claims: tuple[QueueItem, ...]
    ttl_hours: float | None
    created_at: datetime
    deadline: datetime
    ended_at: datetime | None
    waited_sec: float
    granted_claims: tuple[int, ...]
    blocking: tuple[QueueBlocker, ...]


@dataclass(frozen=True, slots=True)
class QueueJoin:
    """A conflicting request just joined the queue (inside `create_claims`; the waiting call goes on)."""

    id: int
    position: int
    state: QueueState = QueueState.WAITING


@dataclass(frozen=True, slots=True)
class QueueGrant:
    """`POST /claims` `queue` when the claims came from the queue: the entry and how long it waited."""

    id: int
    waited_sec: float
    state: QueueState = QueueState.GRANTED


@dataclass(frozen=True, slots=True)
class QueueWait:
    """`POST /claims` `queue` of a 202: the call's share of the wait ended, the entry still waits."""

    id: int
    ticket: str
    resume_before: datetime
    deadline: datetime
    place: int | None
    waited_sec: float
    blocking: tuple[QueueBlocker, ...]
    state: QueueState = QueueState.WAITING
