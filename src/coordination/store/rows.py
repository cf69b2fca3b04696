"""The rows the store's repositories return: one frozen record per row shape.

A record's fields are the columns of its SELECT, in the same order, typed as the
database gives them: epoch seconds are floats, JSON columns stay text (the service
parses them), and a boolean column reads as 0 or 1 on SQLite (`bool(row.narrowable)`).
The store builds each record straight from the driver's row tuple (`ClaimRow(*values)`,
`SqlTx.rows`), so a record whose fields are a whole table's columns is checked here,
at import, against that table's definition (`tables`): a column added to one and not
the other fails at once instead of shifting every field after it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import sqlalchemy as sa

from coordination.store import tables

__all__ = [
    "AuditEventRow",
    "ClaimRow",
    "EventBrief",
    "NoticeRow",
    "OutboxCount",
    "OutboxRow",
    "QueueRow",
    "RequestRow",
    "SeqStamp",
    "field_names",
]


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """A `claims` row: its columns in `tables.CLAIM_COLUMNS` order."""

    id: int
    repo_id: str
    engineer: str
    session_id: str | None
    branch: str | None
    description: str | None
    type: str
    pattern: str
    symbols: str  # JSON list of symbol names
    narrowable: bool  # 0 or 1 on SQLite
    carved: str  # JSON list of carves
    coexists_with: str  # JSON list of claim ids
    state: str
    created_at: float
    expires_at: float
    ended_at: float | None
    fence: int
    seq: int


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A `claim_queue` row: its columns in `tables.QUEUE_COLUMNS` order."""

    id: int
    repo_id: str
    engineer: str
    session_id: str | None
    request: str  # JSON: the claim request the entry waits to have granted
    urgency: str
    priority: int
    position: int
    state: str
    created_at: float
    deadline: float
    ended_at: float | None
    granted_claims: str  # JSON list of claim ids
    decisions: str  # JSON list of decisions
    blocking_claims: str  # JSON list of claim ids
    lease_until: float | None


@dataclass(frozen=True, slots=True)
class RequestRow:
    """A `release_requests` row: its columns in `tables.REQUEST_COLUMNS` order."""

    id: int
    repo_id: str
    claim_id: int
    requester: str
    holder: str
    reason: str
    urgency: str
    wanted_pattern: str
    wanted_symbols: str  # JSON list of symbol names
    session_id: str | None
    ttl_hours: float | None
    holder_expires_at: float
    state: str
    answer: str | None
    answer_detail: str  # JSON object
    created_at: float
    answered_at: float | None


@dataclass(frozen=True, slots=True)
class AuditEventRow:
    """A `request_event` row (the audit trail): its columns in table order."""

    id: int
    repo_id: str
    event_type: str
    engineer: str | None
    claim_id: int | None
    pattern: str | None
    detail: str  # JSON object
    created_at: float


@dataclass(frozen=True, slots=True)
class EventBrief:
    """Part of an audit event (`audit.events_since`): where, what, who, on what, when."""

    repo_id: str
    event_type: str
    engineer: str | None
    pattern: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class NoticeRow:
    """What a reader of a `notices` row is told: id, kind, claim, detail (JSON text), when."""

    id: int
    kind: str
    claim_id: int | None
    detail: str
    created_at: float


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A due `webhook_outbox` row as the delivery loop sends it (`outbox.claim_due`)."""

    id: int
    event_type: str
    payload: str  # JSON: the body to deliver
    attempts: int


@dataclass(frozen=True, slots=True)
class OutboxCount:
    """How many outbox rows of an event type are in a state (`outbox.counts_since`)."""

    event_type: str
    state: str
    n: int


@dataclass(frozen=True, slots=True)
class SeqStamp:
    """A repo's sequence number just taken, and the store's clock read right after it
    (epoch seconds; None for a store without a clock of its own, SQLite)."""

    seq: int
    t: float | None


def field_names(record: type) -> tuple[str, ...]:
    """A record's field names, in order (its SELECT's columns)."""
    return tuple(f.name for f in fields(record))


def _check_columns(record: type, table: sa.Table) -> None:
    columns = tuple(column.name for column in table.columns)
    if field_names(record) != columns:
        raise TypeError(f"{record.__name__}'s fields {field_names(record)} are not {table.name}'s columns {columns}")


_check_columns(ClaimRow, tables.claims)
_check_columns(QueueRow, tables.claim_queue)
_check_columns(RequestRow, tables.release_requests)
_check_columns(AuditEventRow, tables.request_event)
