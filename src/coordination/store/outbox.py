"""The webhook outbox: rows written with the audit trail, claimed and sent by the delivery loop."""

from __future__ import annotations

from coordination.store.base import Tx
from coordination.store.rows import OutboxCount, OutboxRow

__all__ = ["claim_due", "counts_since", "insert", "prune", "record_delivered", "record_failed"]

_DUE = (
    "SELECT id, event_type, payload, attempts FROM webhook_outbox"
    " WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"
)
# PostgreSQL: rows another replica is claiming right now are skipped, not waited for.
_DUE_BY_DIALECT = {"postgresql": _DUE + " FOR UPDATE SKIP LOCKED"}
# `next_attempt_at = lease`: only the loop that claimed the row records its outcome.
_CLAIMED = " WHERE id = ? AND state = 'pending' AND next_attempt_at = ?"


def insert(tx: Tx, repo_id: str, event: str, payload: str, stamp: float) -> None:
    tx.execute(
        "INSERT INTO webhook_outbox (repo_id, event_type, payload, state, attempts, next_attempt_at, created_at)"
        " VALUES (?, ?, ?, 'pending', 0, ?, ?)",
        (repo_id, event, payload, stamp, stamp),
    )


def claim_due(tx: Tx, dialect: str, now: float, lease: float, batch: int) -> list[OutboxRow]:
    """The due rows (at most `batch`), their next attempt pushed to `lease` so no other loop takes them."""
    rows = tx.rows(OutboxRow, _DUE_BY_DIALECT.get(dialect, _DUE), (now, batch))
    if rows:
        marks = ", ".join("?" * len(rows))
        tx.execute(
            f"UPDATE webhook_outbox SET next_attempt_at = ? WHERE id IN ({marks})",
            [lease, *[r.id for r in rows]],
        )
    return rows


def record_delivered(tx: Tx, row_id: int, lease: float, status: int | None, now: float) -> None:
    tx.execute(
        "UPDATE webhook_outbox SET state = 'delivered', attempts = attempts + 1, last_status = ?,"
        " last_error = NULL, delivered_at = ?" + _CLAIMED,
        (status, now, row_id, lease),
    )


def record_failed(
    tx: Tx, row_id: int, lease: float, state: str, attempts: int, next_at: float, status: int | None, error: str
) -> None:
    tx.execute(
        "UPDATE webhook_outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ?,"
        " last_error = ?" + _CLAIMED,
        (state, attempts, next_at, status, error, row_id, lease),
    )


def prune(tx: Tx, cutoff: float) -> None:
    """Delete delivered and exhausted rows created before `cutoff`."""
    tx.execute("DELETE FROM webhook_outbox WHERE state <> 'pending' AND created_at < ?", (cutoff,))


def counts_since(tx: Tx, since: float) -> list[OutboxCount]:
    """(event_type, state, n) of the rows created since `since`."""
    return tx.rows(
        OutboxCount,
        "SELECT event_type, state, COUNT(*) AS n FROM webhook_outbox WHERE created_at >= ? GROUP BY event_type, state",
        (since,),
    )
