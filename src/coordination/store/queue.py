"""The claim queue's entries (`claim_queue`): the statements of the queue aggregate.

Entries come back as `QueueRow`s (`coordination.store.rows`: the `claim_queue` columns,
`tables.QUEUE_COLUMNS`, in order)."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from coordination.store.base import SentRows, Tx
from coordination.store.rows import QueueRow
from coordination.store.tables import QUEUE_COLUMNS

__all__ = [
    "CHANNEL",
    "announce",
    "by_id",
    "end",
    "ended_count",
    "grant",
    "insert",
    "listing",
    "renew",
    "repos_overdue",
    "send_waiting",
    "set_blocking",
    "waiting_of_repo",
]

_SELECT = f"SELECT {QUEUE_COLUMNS} FROM claim_queue"
# PostgreSQL: the notification channel on which a transaction announces the entries it changed.
CHANNEL = "coord_queue"


def insert(
    tx: Tx,
    repo_id: str,
    engineer: str,
    session_id: str | None,
    request_json: str,
    urgency: str,
    priority: int,
    position: int,
    created_at: float,
    deadline: float,
    blocking_json: str,
    lease_until: float,
) -> int:
    """A new waiting entry; its id."""
    _written(tx)
    return int(
        tx.scalar(
            "INSERT INTO claim_queue (repo_id, engineer, session_id, request, urgency, priority, position,"
            " state, created_at, deadline, granted_claims, decisions, blocking_claims, lease_until)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, '[]', '[]', ?, ?) RETURNING id",
            (
                repo_id,
                engineer,
                session_id,
                request_json,
                urgency,
                priority,
                position,
                created_at,
                deadline,
                blocking_json,
                lease_until,
            ),
        )
    )


def by_id(tx: Tx, queue_id: int) -> QueueRow | None:
    return tx.row(QueueRow, f"{_SELECT} WHERE id = ?", (queue_id,))


def waiting_of_repo(tx: Tx, repo_id: str) -> list[QueueRow]:
    """The repo's waiting entries: those `send_waiting` asked for in this transaction, when no
    entry was written through this module since, else read now."""
    sent = _sent.get(tx, {}).pop(repo_id, None)
    if sent is not None:
        return sent.all()
    return tx.rows(QueueRow, f"{_SELECT} WHERE repo_id = ? AND state = 'waiting'", (repo_id,))


def send_waiting(tx: Tx, repo_id: str) -> None:
    """Ask now (under the repo's write lock) for the repo's waiting entries, for the next
    `waiting_of_repo` of this transaction: they then share an earlier round trip. Entries of a
    repo are added and ended only under its lock, so only this transaction could change them
    meanwhile, and every write here forgets what was asked."""
    _sent.setdefault(tx, {})[repo_id] = tx.later_rows(
        QueueRow, f"{_SELECT} WHERE repo_id = ? AND state = 'waiting'", (repo_id,)
    )


# Per transaction: the waiting entries asked for ahead (`send_waiting`), by repo.
_sent: weakref.WeakKeyDictionary[Tx, dict[str, SentRows[QueueRow]]] = weakref.WeakKeyDictionary()


def _written(tx: Tx) -> None:
    _sent.pop(tx, None)


def listing(
    tx: Tx, state: str, repo_id: str | None, engineer: str | None, after: int | None, limit: int
) -> list[QueueRow]:
    """Entries in this state, in arrival (id) order; `after` resumes past an id."""
    where: list[str] = ["state = ?"]
    params: list[Any] = [state]
    for column, value in (("repo_id", repo_id), ("engineer", engineer)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if after is not None:
        where.append("id > ?")
        params.append(after)
    return tx.rows(QueueRow, f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY id LIMIT ?", [*params, limit])


def repos_overdue(tx: Tx, stamp: float) -> list[str]:
    """Repos with a waiting entry whose wait is over or whose lease ran out by `stamp`."""
    return tx.rows(
        str,
        "SELECT DISTINCT repo_id FROM claim_queue WHERE state = 'waiting'"
        " AND (deadline <= ? OR lease_until IS NULL OR lease_until <= ?)",
        (stamp, stamp),
    )


def ended_count(tx: Tx) -> int:
    """How many entries ever ended without a grant for lack of time or waiter (expired, abandoned)."""
    return int(tx.scalar("SELECT COUNT(*) AS n FROM claim_queue WHERE state IN ('expired', 'abandoned')") or 0)


def set_blocking(tx: Tx, queue_id: int, blocking_json: str) -> None:
    _written(tx)
    tx.execute("UPDATE claim_queue SET blocking_claims = ? WHERE id = ?", (blocking_json, queue_id))


def grant(tx: Tx, queue_id: int, ended_at: float, claims_json: str, decisions_json: str) -> None:
    _written(tx)
    tx.execute(
        "UPDATE claim_queue SET state = 'granted', ended_at = ?, granted_claims = ?, decisions = ?,"
        " blocking_claims = '[]' WHERE id = ?",
        (ended_at, claims_json, decisions_json, queue_id),
    )


def end(tx: Tx, queue_id: int, state: str, ended_at: float) -> None:
    _written(tx)
    tx.execute("UPDATE claim_queue SET state = ?, ended_at = ? WHERE id = ?", (state, ended_at, queue_id))


def renew(tx: Tx, queue_ids: Sequence[int], lease_until: float) -> None:
    """Push the lease of those of these entries still waiting to `lease_until`."""
    _written(tx)
    marks = ", ".join("?" * len(queue_ids))
    tx.execute(
        f"UPDATE claim_queue SET lease_until = ? WHERE state = 'waiting' AND id IN ({marks})",
        [lease_until, *queue_ids],
    )


def announce(tx: Tx, queue_id: int) -> None:
    """Tell every process listening (`Store.listen(CHANNEL, ...)`) that the entry changed, once the
    transaction commits (PostgreSQL's NOTIFY, never delivered if it rolls back). SQLite has no such
    channel: its other processes notice by polling."""
    if tx.dialect == "postgresql":
        tx.execute("SELECT pg_notify(?, ?)", (CHANNEL, str(queue_id)))
