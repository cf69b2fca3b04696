"""The audit trail and the notices: one `AuditEvent` row per change, webhooks enqueued with it.

Every use case records what it changed as an `AuditEvent` in the transaction that
made the change; the webhook outbox row for it is written in the same transaction,
so an event is delivered if and only if the change commits. Notices are what an
engineer is told on their next call (`pending_requests`), delivered once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coordination import records, webhooks
from coordination.core import webhook_events
from coordination.store import Store, Tx

__all__ = ["Audit", "AuditEvent"]


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
        tx.execute(
            "INSERT INTO request_event (repo_id, event_type, engineer, claim_id, pattern, detail, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.repo_id,
                event.event_type,
                event.engineer,
                event.claim_id,
                event.pattern,
                json.dumps(event.detail),
                records.to_epoch(now),
            ),
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
        tx.execute(
            "INSERT INTO notices (repo_id, engineer, kind, claim_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (repo_id, engineer, kind, claim_id, json.dumps(detail), records.to_epoch(now)),
        )

    def take_notices(self, tx: Tx, repo_id: str | None, engineer: str | None, now: datetime) -> list[dict[str, Any]]:
        """Unseen notices for the engineer, marked seen: delivered once, on the next call."""
        if not engineer or not repo_id:
            return []
        rows = tx.all(
            "SELECT id, kind, claim_id, detail, created_at FROM notices"
            " WHERE repo_id = ? AND engineer = ? AND seen_at IS NULL ORDER BY id",
            (repo_id, engineer),
        )
        if rows:
            marks = ", ".join("?" * len(rows))
            tx.execute(
                f"UPDATE notices SET seen_at = ? WHERE id IN ({marks})",
                [records.to_epoch(now), *[r["id"] for r in rows]],
            )
        return [
            {
                "id": r["id"],
                "kind": r["kind"],
                "claim_id": r["claim_id"],
                "created_at": records.iso(r["created_at"]),
                **json.loads(r["detail"]),
            }
            for r in rows
        ]

    # ------------------------------------------------------------------ reads

    def events(self, repo_id: str | None = None, limit: int = 1000, after: int | None = None) -> list[dict[str, Any]]:
        """Audit events in id order; `after` resumes past an event id (the live stream's cursor)."""
        sql = "SELECT id, repo_id, event_type, engineer, claim_id, pattern, detail, created_at FROM request_event"
        where: list[str] = []
        params: list[Any] = []
        if repo_id:
            where.append("repo_id = ?")
            params.append(repo_id)
        if after is not None:
            where.append("id > ?")
            params.append(after)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        with self.store.read() as tx:
            rows = tx.all(sql, params)
        for row in rows:
            row["detail"] = json.loads(row["detail"])
            row["created_at"] = records.iso(row["created_at"])
        return rows

    def last_event_id(self) -> int:
        """The newest audit event id (0 when there is none): where a fresh live stream starts."""
        with self.store.read() as tx:
            row = tx.one("SELECT MAX(id) AS last FROM request_event", [])
        return int(row["last"] or 0) if row else 0
