"""The audit trail (request_event rows) and the notices engineers are told on their next call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from coordination.store.base import Tx
from coordination.store.rows import AuditEventRow, EventBrief, NoticeRow

__all__ = [
    "count_events",
    "event_details",
    "events",
    "events_since",
    "insert_event",
    "insert_notice",
    "last_event_id",
    "mark_seen",
    "patterns_since",
    "repos_with_events_since",
    "take_unseen_notices",
    "take_unseen_notices_sent",
    "unseen_notices_sent",
]

_EVENT_COLUMNS = "id, repo_id, event_type, engineer, claim_id, pattern, detail, created_at"


def insert_event(
    tx: Tx,
    repo_id: str,
    event_type: str,
    engineer: str | None,
    claim_id: int | None,
    pattern: str | None,
    detail: str,
    stamp: float,
) -> None:
    tx.execute(
        "INSERT INTO request_event (repo_id, event_type, engineer, claim_id, pattern, detail, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (repo_id, event_type, engineer, claim_id, pattern, detail, stamp),
    )


def events(tx: Tx, repo_id: str | None, limit: int, after: int | None) -> list[AuditEventRow]:
    """Rows in id order; `after` resumes past an id."""
    sql = f"SELECT {_EVENT_COLUMNS} FROM request_event"
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
    return tx.rows(AuditEventRow, sql, params)


def last_event_id(tx: Tx) -> int:
    return int(tx.scalar("SELECT MAX(id) AS last FROM request_event", []) or 0)


def events_since(
    tx: Tx, event_types: Sequence[str], since: float, repo_id: str | None = None, with_pattern: bool = False
) -> list[EventBrief]:
    """repo_id, event_type, engineer, pattern, created_at of the events of these types since `since`."""
    marks = ", ".join("?" * len(event_types))
    sql = (
        "SELECT repo_id, event_type, engineer, pattern, created_at FROM request_event"
        f" WHERE event_type IN ({marks}) AND created_at >= ?"
    )
    params: list[Any] = [*event_types, since]
    if with_pattern:
        sql += " AND pattern IS NOT NULL"
    if repo_id:
        sql += " AND repo_id = ?"
        params.append(repo_id)
    return tx.rows(EventBrief, sql, params)


def repos_with_events_since(tx: Tx, since: float) -> set[str]:
    return set(tx.rows(str, "SELECT DISTINCT repo_id FROM request_event WHERE created_at >= ?", (since,)))


def count_events(
    tx: Tx,
    repo_id: str,
    event_type: str,
    *,
    pattern: str | None = None,
    after: float | None = None,
    claim_id: int | None = None,
    engineer: str | None = None,
) -> int:
    """How many events of this type the repo has, narrowed by pattern, time (strictly after), claim, engineer."""
    sql = "SELECT COUNT(*) FROM request_event WHERE repo_id = ? AND event_type = ?"
    params: list[Any] = [repo_id, event_type]
    for column, value in (("claim_id", claim_id), ("engineer", engineer), ("pattern", pattern)):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    if after is not None:
        sql += " AND created_at > ?"
        params.append(after)
    return int(tx.scalar(sql, params) or 0)


def event_details(tx: Tx, repo_id: str, event_type: str, claim_id: int) -> list[str]:
    """The detail JSON of the repo's events of this type on one claim."""
    return tx.rows(
        str,
        "SELECT detail FROM request_event WHERE repo_id = ? AND event_type = ? AND claim_id = ?",
        (repo_id, event_type, claim_id),
    )


def patterns_since(tx: Tx, repo_id: str, event_type: str, after: float) -> list[str]:
    """The patterns of the repo's events of this type strictly after `after`."""
    return tx.rows(
        str,
        "SELECT pattern FROM request_event WHERE repo_id = ? AND event_type = ?"
        " AND pattern IS NOT NULL AND created_at > ?",
        (repo_id, event_type, after),
    )


def insert_notice(tx: Tx, repo_id: str, engineer: str, kind: str, claim_id: int, detail: str, stamp: float) -> None:
    tx.execute(
        "INSERT INTO notices (repo_id, engineer, kind, claim_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (repo_id, engineer, kind, claim_id, detail, stamp),
    )


def take_unseen_notices(tx: Tx, repo_id: str, engineer: str, stamp: float) -> list[NoticeRow]:
    """The engineer's unseen notices in the repo, marked seen at `stamp` by the same statement
    (a concurrent taker waits for the rows and then finds them seen: each is taken once), by id."""
    return take_unseen_notices_sent(tx, repo_id, engineer, stamp)()


def take_unseen_notices_sent(tx: Tx, repo_id: str, engineer: str, stamp: float) -> Callable[[], list[NoticeRow]]:
    """`take_unseen_notices`, sent now and read when called (it can share a round trip with others)."""
    pending = tx.later_rows(
        NoticeRow,
        "UPDATE notices SET seen_at = ? WHERE repo_id = ? AND engineer = ? AND seen_at IS NULL"
        " RETURNING id, kind, claim_id, detail, created_at",
        (stamp, repo_id, engineer),
    )
    return lambda: sorted(pending.all(), key=lambda r: r.id)


def unseen_notices_sent(tx: Tx, repo_id: str, engineer: str) -> Callable[[], list[NoticeRow]]:
    """The engineer's unseen notices in the repo (not marked: `mark_seen`), by id; sent now,
    read when called."""
    pending = tx.later_rows(
        NoticeRow,
        "SELECT id, kind, claim_id, detail, created_at FROM notices"
        " WHERE repo_id = ? AND engineer = ? AND seen_at IS NULL ORDER BY id",
        (repo_id, engineer),
    )
    return pending.all


def mark_seen(tx: Tx, notice_ids: Sequence[int], stamp: float) -> None:
    if notice_ids:
        marks = ", ".join("?" * len(notice_ids))
        tx.execute(f"UPDATE notices SET seen_at = ? WHERE id IN ({marks})", [stamp, *notice_ids])
