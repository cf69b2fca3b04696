"""Release requests (`release_requests`): the statements of the release-request aggregate.

Requests come back as `RequestRow`s (`coordination.store.rows`: the `release_requests`
columns, `tables.REQUEST_COLUMNS`, in order)."""

from __future__ import annotations

from typing import Any

from coordination.store.base import Tx
from coordination.store.rows import RequestRow
from coordination.store.tables import REQUEST_COLUMNS

__all__ = [
    "by_id",
    "close",
    "count_open_on",
    "insert",
    "latest_open_expiry",
    "listing",
    "open_by",
    "others_open_on",
    "repo_of",
]

_SELECT = f"SELECT {REQUEST_COLUMNS} FROM release_requests"


def insert(
    tx: Tx,
    repo_id: str,
    claim_id: int,
    requester: str,
    holder: str,
    reason: str,
    urgency: str,
    wanted_pattern: str,
    wanted_symbols_json: str,
    session_id: str | None,
    ttl_hours: float | None,
    holder_expires_at: float,
    created_at: float,
) -> int:
    """A new open request; its id."""
    return int(
        tx.scalar(
            "INSERT INTO release_requests (repo_id, claim_id, requester, holder, reason, urgency,"
            " wanted_pattern, wanted_symbols, session_id, ttl_hours, holder_expires_at, state,"
            " answer_detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', '{}', ?)"
            " RETURNING id",
            (
                repo_id,
                claim_id,
                requester,
                holder,
                reason,
                urgency,
                wanted_pattern,
                wanted_symbols_json,
                session_id,
                ttl_hours,
                holder_expires_at,
                created_at,
            ),
        )
    )


def by_id(tx: Tx, request_id: int) -> RequestRow | None:
    return tx.row(RequestRow, f"{_SELECT} WHERE id = ?", (request_id,))


def repo_of(tx: Tx, request_id: int) -> str | None:
    repo_id = tx.scalar("SELECT repo_id FROM release_requests WHERE id = ?", (request_id,))
    return None if repo_id is None else str(repo_id)


def open_by(tx: Tx, claim_id: int, requester: str) -> int | None:
    """The id of the requester's open request on the claim, if any."""
    found = tx.scalar(
        "SELECT id FROM release_requests WHERE claim_id = ? AND requester = ? AND state = 'open'",
        (claim_id, requester),
    )
    return None if found is None else int(found)


def latest_open_expiry(tx: Tx, claim_id: int) -> float | None:
    """The latest pre-clamp expiry the open requests on the claim remember."""
    value = tx.scalar(
        "SELECT MAX(holder_expires_at) AS m FROM release_requests WHERE claim_id = ? AND state = 'open'",
        (claim_id,),
    )
    return None if value is None else float(value)


def count_open_on(tx: Tx, claim_id: int) -> int:
    return int(
        tx.scalar("SELECT COUNT(*) AS n FROM release_requests WHERE claim_id = ? AND state = 'open'", (claim_id,)) or 0
    )


def others_open_on(tx: Tx, claim_id: int, request_id: int) -> list[RequestRow]:
    return tx.rows(RequestRow, f"{_SELECT} WHERE claim_id = ? AND state = 'open' AND id <> ?", (claim_id, request_id))


def close(tx: Tx, request_id: int, state: str, answer: str | None, detail_json: str, answered_at: float) -> None:
    tx.execute(
        "UPDATE release_requests SET state = ?, answer = ?, answer_detail = ?, answered_at = ? WHERE id = ?",
        (state, answer, detail_json, answered_at, request_id),
    )


def listing(
    tx: Tx,
    repo_id: str | None,
    engineer: str | None,
    role: str | None,
    states: tuple[str, ...] | None,
    before: int | None,
) -> list[RequestRow]:
    """Requests newest first: of the repo, of the engineer (as `role`, holder or requester, or
    either), in these stored states; `before` lists only smaller ids."""
    where: list[str] = []
    params: list[Any] = []
    if repo_id:
        where.append("repo_id = ?")
        params.append(repo_id)
    if engineer and role in ("holder", "requester"):
        where.append(f"{role} = ?")
        params.append(engineer)
    elif engineer:
        where.append("(holder = ? OR requester = ?)")
        params += [engineer, engineer]
    if states:
        where.append(f"state IN ({', '.join('?' * len(states))})")
        params.extend(states)
    if before is not None:
        where.append("id < ?")
        params.append(before)
    sql = _SELECT
    if where:
        sql += " WHERE " + " AND ".join(where)
    return tx.rows(RequestRow, sql + " ORDER BY id DESC", params)
