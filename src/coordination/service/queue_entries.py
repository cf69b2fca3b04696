"""Claim queue entries as stored: their columns, their order, how they read back, the wait limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from coordination import records
from coordination.core import queue as order
from coordination.core.limits import MAX_WAIT_SECONDS
from coordination.core.model import ClaimItem, ClaimType, Urgency
from coordination.core.vocabulary import ClaimState, QueueState
from coordination.errors import Invalid, NotFound
from coordination.service.queue_records import QueueBlocker, QueueEntry, QueueItem
from coordination.service.types import ClaimRequest
from coordination.store import Tx
from coordination.store import claims as claim_rows
from coordination.store import queue as queue_rows
from coordination.store.rows import QueueRow
from coordination.store.tables import QUEUE_COLUMNS

__all__ = [
    "MAX_WAIT_SECONDS",
    "QUEUE_COLUMNS",
    "STATES",
    "URGENCIES",
    "check_wait",
    "entry",
    "places",
    "present",
    "queue_row",
    "request_of",
]

URGENCIES = tuple(u.value for u in Urgency)
STATES = tuple(QueueState)


def check_wait(wait_seconds: float, urgency: str) -> None:
    """Refuse a wait or urgency the queue cannot honour (400, before anything is queued)."""
    if not 0 <= wait_seconds <= MAX_WAIT_SECONDS:
        raise Invalid(f"wait_seconds must be between 0 and {MAX_WAIT_SECONDS:g}, not {wait_seconds!r}")
    if urgency not in URGENCIES:
        raise Invalid(f"urgency must be one of {', '.join(URGENCIES)}, not {urgency!r}")


def entry(row: QueueRow) -> order.QueueEntry:
    return order.QueueEntry(
        id=row.id,
        position=int(row.position),
        urgency=Urgency(row.urgency),
        created_at=datetime.fromtimestamp(float(row.created_at), UTC),
    )


def request_of(row: QueueRow) -> ClaimRequest:
    """The claim request an entry waits to have granted."""
    req = json.loads(row.request)
    return ClaimRequest(
        engineer=row.engineer,
        items=[ClaimItem(ClaimType(i["type"]), i["pattern"], tuple(i["symbols"])) for i in req["items"]],
        repo_id=row.repo_id,
        session_id=row.session_id,
        branch=req.get("branch"),
        description=req.get("description"),
        ttl_hours=req.get("ttl_hours"),
    )


def queue_row(tx: Tx, queue_id: int) -> QueueRow:
    row = queue_rows.by_id(tx, queue_id)
    if row is None:
        raise NotFound(f"no queue entry with id {queue_id}")
    return row


def places(tx: Tx, repos: set[str], now: datetime, boost: float) -> dict[int, int]:
    """Each waiting entry's place (1 = considered first) in its repo's queue order."""
    found: dict[int, int] = {}
    for repo in sorted(repos):
        waiting = queue_rows.waiting_of_repo(tx, repo)
        for place, item in enumerate(order.ordered((entry(r) for r in waiting), now, boost), start=1):
            found[item.id] = place
    return found


def present(tx: Tx, row: QueueRow, now: datetime, boost: float, place: int | None = None) -> QueueEntry:
    """An entry as readers are shown it, with the claims it waits on (`place`: its place in line, if known)."""
    req = json.loads(row.request)
    blocking_ids = json.loads(row.blocking_claims) if row.state == "waiting" else []
    blocking: list[QueueBlocker] = []
    if blocking_ids:
        stamp = records.to_epoch(now)
        for claim in claim_rows.by_ids(tx, blocking_ids, order_by_id=True):
            blocking.append(
                QueueBlocker(
                    claim_id=int(claim.id),
                    engineer=claim.engineer,
                    type=ClaimType(claim.type),
                    pattern=claim.pattern,
                    symbols=tuple(json.loads(claim.symbols)),
                    state=ClaimState(records.present_state(claim, stamp)),
                    expires_at=_moment(claim.expires_at),
                )
            )
    end = row.ended_at if row.ended_at is not None else records.to_epoch(now)
    return QueueEntry(
        id=int(row.id),
        repo_id=row.repo_id,
        engineer=row.engineer,
        session_id=row.session_id,
        urgency=Urgency(row.urgency),
        priority=int(row.priority),
        effective_priority=order.effective_priority(entry(row), now, boost),
        position=int(row.position),
        place=place,
        state=QueueState(row.state),
        claims=tuple(QueueItem(ClaimType(i["type"]), i["pattern"], tuple(i["symbols"])) for i in req["items"]),
        ttl_hours=req.get("ttl_hours"),
        created_at=_moment(row.created_at),
        deadline=_moment(row.deadline),
        ended_at=records.from_epoch(row.ended_at),
        waited_sec=round(max(0.0, float(end) - float(row.created_at)), 3),
        granted_claims=tuple(json.loads(row.granted_claims)),
        blocking=tuple(blocking),
    )


def _moment(value: float) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)
