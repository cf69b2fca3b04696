"""Sessions: when each was last seen."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from coordination.store.base import Tx
from coordination.store.sqltx import CLOCK_SQL

__all__ = [
    "forget_silent",
    "last_seen",
    "silent_among",
    "silent_before_clock_sent",
    "silent_since",
    "silent_since_sent",
    "touch",
]


def touch(tx: Tx, session_id: str, engineer: str | None, stamp: float) -> None:
    """The session was seen at `stamp` (created on first sight; the engineer is kept if not given)."""
    tx.execute(
        "INSERT INTO sessions (session_id, engineer, last_seen) VALUES (?, ?, ?)"
        " ON CONFLICT (session_id) DO UPDATE SET last_seen = excluded.last_seen,"
        " engineer = COALESCE(excluded.engineer, sessions.engineer)",
        (session_id, engineer, stamp),
    )


def last_seen(tx: Tx, session_id: str) -> float | None:
    value = tx.scalar("SELECT last_seen FROM sessions WHERE session_id = ?", (session_id,))
    return None if value is None else float(value)


def silent_since(tx: Tx, cutoff: float) -> dict[str, float]:
    """Every session last seen before `cutoff`, with when."""
    return silent_since_sent(tx, cutoff)()


def silent_since_sent(tx: Tx, cutoff: float) -> Callable[[], dict[str, float]]:
    """`silent_since`, sent now and read when called (it can share a round trip with others)."""
    pending = tx.later_rows(_seen, "SELECT session_id, last_seen FROM sessions WHERE last_seen < ?", (cutoff,))
    return lambda: dict(pending.all())


# The sessions that hold an active claim or wait in a queue entry, each read once for the whole
# statement: subqueries correlated with each session row would scan the claims or the queue once
# per session (measured on SQLite: 29 s for 20,000 sessions beside 20,000 queue rows, instead of
# 0.09 s). `IS NOT NULL`: one NULL in a `NOT IN` list would keep every row.
FORGET_SILENT_SQL = (
    "DELETE FROM sessions WHERE last_seen < ?"
    " AND session_id NOT IN (SELECT session_id FROM claims WHERE state = 'active' AND session_id IS NOT NULL)"
    " AND session_id NOT IN (SELECT session_id FROM claim_queue WHERE state = 'waiting' AND session_id IS NOT NULL)"
    " RETURNING session_id"
)


def forget_silent(tx: Tx, cutoff: float) -> int:
    """Delete the sessions last seen before `cutoff` that hold no active claim and wait in no
    queue entry; how many. Such a row decides nothing any more (a session that comes back
    starts afresh either way), while every claim reads the silent sessions to test liveness:
    left in place they would make each claim slower as the table grows."""
    return len(tx.rows(str, FORGET_SILENT_SQL, (cutoff,)))


def silent_among(tx: Tx, session_ids: Sequence[str], cutoff: float) -> set[str]:
    """Those of `session_ids` last seen before `cutoff` (asked in chunks of 500)."""
    found: set[str] = set()
    for start in range(0, len(session_ids), 500):
        chunk = list(session_ids[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        found.update(
            tx.rows(
                str,
                f"SELECT session_id FROM sessions WHERE last_seen < ? AND session_id IN ({marks})",
                [cutoff, *chunk],
            )
        )
    return found


def silent_before_clock_sent(tx: Tx, seconds: float) -> Callable[[], dict[str, float]] | None:
    """Every session last seen more than `seconds` before the store's clock as this statement
    runs, with when; sent now, read when called. None for a store without a clock (SQLite)."""
    if tx.dialect != "postgresql":
        return None
    pending = tx.later_rows(
        _seen, f"SELECT session_id, last_seen FROM sessions WHERE last_seen < {CLOCK_SQL} - ?", (seconds,)
    )
    return lambda: dict(pending.all())


def _seen(session_id: str, last_seen: float) -> tuple[str, float]:
    """A session and when it was last seen (epoch seconds)."""
    return str(session_id), float(last_seen)
