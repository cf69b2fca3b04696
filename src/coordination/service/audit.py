"""The audit trail and the notices: one `AuditEvent` row per change, webhooks enqueued with it.

Every use case records what it changed as an `AuditEvent` in the transaction that
made the change; the webhook outbox row for it is written in the same transaction,
so an event is delivered if and only if the change commits. Notices are what an
engineer is told on their next call (`pending_requests`), delivered once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coordination import records, webhooks
from coordination.core import webhook_events
from coordination.service.audit_records import AuditEntry, audit_entry
from coordination.service.records import Notice, notice_from_row
from coordination.store import Store, Tx
from coordination.store import audit as audit_rows
from coordination.store.rows import NoticeRow

__all__ = ["Audit", "AuditEntry", "AuditEvent"]


@dataclass(frozen=True)
class AuditEvent:
    """One request_event row: what happened, to which claim and pattern, by whom."""

    repo_id: str
    event_type: str
    engineer: str | None
    claim_id: int | None
    pattern: str | None
    detail: dict[str, Any] = field(default_factory=dict)


class Audit:
    """Writes and reads the audit trail and the notices."""

    def __init__(self, store: Store, webhook_names: frozenset[str]) -> None:
        self.store = store
        # Webhook event names to enqueue with their audit rows (none when no receiver is set).
        self.webhook_names = webhook_names

    def record(self, tx: Tx, event: AuditEvent, now: datetime) -> None:
        audit_rows.insert_event(
            tx,
            event.repo_id,
            event.event_type,
            event.engineer,
            event.claim_id,
            event.pattern,
            json.dumps(event.detail),
            records.to_epoch(now),
        )
        hook = webhook_events.webhook_name(event.event_type, self.webhook_names)
        if hook is not None:
            # Same transaction as the audit row: the event is delivered iff the change commits.
            webhooks.enqueue(
                tx,
                hook,
                event.event_type,
                event.repo_id,
                event.engineer,
                event.claim_id,
                event.pattern,
                now,
                event.detail,
            )

    def event(
        self,
        tx: Tx,
        repo_id: str,
        event_type: str,
        engineer: str | None,
        claim_id: int | None,
        pattern: str | None,
        now: datetime,
        detail: dict[str, Any],
    ) -> None:
        """Record one event (the short form of `record`)."""
        self.record(tx, AuditEvent(repo_id, event_type, engineer, claim_id, pattern, detail), now)

    def notice(
        self,
        tx: Tx,
        repo_id: str,
        engineer: str,
        kind: str,
        claim_id: int,
        now: datetime,
        detail: dict[str, Any],
    ) -> None:
        audit_rows.insert_notice(tx, repo_id, engineer, kind, claim_id, json.dumps(detail), records.to_epoch(now))

    def take_notices(self, tx: Tx, repo_id: str | None, engineer: str | None, now: datetime) -> list[Notice]:
        """Unseen notices for the engineer, marked seen: delivered once, on the next call."""
        return self.take_notices_sent(tx, repo_id, engineer, now)()

    def take_notices_sent(
        self, tx: Tx, repo_id: str | None, engineer: str | None, now: datetime
    ) -> Callable[[], list[Notice]]:
        """`take_notices`, sent now and read when called (it can share a round trip with others)."""
        if not engineer or not repo_id:
            return list
        taken = audit_rows.take_unseen_notices_sent(tx, repo_id, engineer, records.to_epoch(now))
        return lambda: [notice_from_row(r) for r in taken()]

    def unseen_sent(self, tx: Tx, repo_id: str, engineer: str) -> Callable[[], list[NoticeRow]]:
        """The engineer's unseen notices, asked for now and not yet taken: `take_unseen` takes them."""
        return audit_rows.unseen_notices_sent(tx, repo_id, engineer)

    def take_unseen(self, tx: Tx, rows: list[NoticeRow], now: datetime) -> list[Notice]:
        """Mark notices read by `unseen_sent` (in this transaction, under the repo's lock) seen."""
        audit_rows.mark_seen(tx, [r.id for r in rows], records.to_epoch(now))
        return [notice_from_row(r) for r in rows]

    # ------------------------------------------------------------------ reads

    def events(self, repo_id: str | None = None, limit: int = 1000, after: int | None = None) -> list[AuditEntry]:
        """Audit events in id order; `after` resumes past an event id (the live stream's cursor)."""
        with self.store.read() as tx:
            rows = audit_rows.events(tx, repo_id, limit, after)
        return [audit_entry(row) for row in rows]

    def last_event_id(self) -> int:
        """The newest audit event id (0 when there is none): where a fresh live stream starts."""
        with self.store.read() as tx:
            return audit_rows.last_event_id(tx)
