"""Claims and each repo's sequence number (`repo_state`): the statements of the claim aggregate.

Every function takes the caller's transaction; rows come back as `ClaimRow`s
(`coordination.store.rows`: the `claims` columns, `tables.CLAIM_COLUMNS`, in order),
other shapes as tuples or records of their own. Writes stamp the rows they change with
the caller's sequence number (`seq`), which is what brings the books up to date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from coordination.store.base import SentRows, Tx
from coordination.store.rows import ClaimRow, SeqStamp
from coordination.store.sqltx import CLOCK_SQL
from coordination.store.tables import CLAIM_COLUMNS

__all__ = [
    "active_matching",
    "active_of_session",
    "active_repos",
    "active_symbol_claims_on",
    "active_upto",
    "by_id",
    "by_id_sent",
    "by_ids",
    "changed_after",
    "changed_between",
    "changes_upto_committed",
    "committed_seq",
    "count_live_of_session",
    "end",
    "expired",
    "held_by_others",
    "idle",
    "insert",
    "listing",
    "narrow_pattern",
    "narrow_symbols",
    "next_seq",
    "next_seq_timed",
    "partner_fields",
    "refresh",
    "repo_of",
    "repos",
    "repos_of_session",
    "repos_with_expired",
    "repos_with_idle",
    "reserve_ids_sent",
    "restore_expiry",
    "session_has_active",
    "set_expiry",
    "set_partners",
    "written_since",
]

_SELECT = f"SELECT {CLAIM_COLUMNS} FROM claims"


def _pair(first: Any, second: Any) -> tuple[Any, Any]:
    return first, second


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


# ------------------------------------------------------------- repo_state


def next_seq(tx: Tx, repo_id: str) -> int:
    """Take the repo's next sequence number (the caller holds the repo's write lock)."""
    return int(
        tx.scalar(
            "INSERT INTO repo_state (repo_id, seq) VALUES (?, 1)"
            " ON CONFLICT (repo_id) DO UPDATE SET seq = repo_state.seq + 1 RETURNING seq",
            (repo_id,),
        )
    )


def next_seq_timed(tx: Tx, repo_id: str) -> SentRows[SeqStamp]:
    """`next_seq`, sent now: one `SeqStamp` (seq, t), `t` the store's clock read after it (PostgreSQL's
    `clock_timestamp()` as epoch seconds; NULL on SQLite, which has no clock of its own)."""
    clock = CLOCK_SQL if tx.dialect == "postgresql" else "NULL"
    return tx.later_rows(
        SeqStamp,
        "INSERT INTO repo_state (repo_id, seq) VALUES (?, 1)"
        f" ON CONFLICT (repo_id) DO UPDATE SET seq = repo_state.seq + 1 RETURNING seq, {clock} AS t",
        (repo_id,),
    )


def committed_seq(tx: Tx, repo_id: str) -> int:
    return int(tx.scalar("SELECT seq FROM repo_state WHERE repo_id = ?", (repo_id,)) or 0)


def repos(tx: Tx) -> list[str]:
    """Every repo that ever had a claim, by id."""
    return tx.rows(str, "SELECT repo_id FROM repo_state ORDER BY repo_id")


# ------------------------------------------------------------------ reads


def active_upto(tx: Tx, repo_id: str, upto: int) -> list[ClaimRow]:
    return tx.rows(ClaimRow, f"{_SELECT} WHERE repo_id = ? AND state = 'active' AND seq <= ?", (repo_id, upto))


def changed_between(tx: Tx, repo_id: str, after: int, upto: int) -> list[ClaimRow]:
    return tx.rows(ClaimRow, f"{_SELECT} WHERE repo_id = ? AND seq > ? AND seq <= ?", (repo_id, after, upto))


def changed_after(tx: Tx, repo_id: str, after: int) -> SentRows[ClaimRow]:
    """The repo's rows written after `after`, sent now (under the repo's write lock, before this
    transaction writes any: exactly the rows of the numbers in between)."""
    return tx.later_rows(ClaimRow, f"{_SELECT} WHERE repo_id = ? AND seq > ?", (repo_id, after))


_PREFIXED = ", ".join(f"c.{column.strip()}" for column in CLAIM_COLUMNS.split(","))


def _upto_and_claim(upto: int, *values: Any) -> tuple[int, ClaimRow | None]:
    """A row of `changes_upto_committed`: (upto, the claim, None where the join found none)."""
    return upto, None if values[0] is None else ClaimRow(*values)


def changes_upto_committed(tx: Tx, repo_id: str, after: int) -> tuple[int, list[ClaimRow]]:
    """(the repo's committed sequence number, its rows written after `after` up to it), read
    in one statement: one snapshot, one round trip."""
    rows = tx.rows(
        _upto_and_claim,
        f"SELECT r.seq AS upto, {_PREFIXED} FROM repo_state r"
        " LEFT JOIN claims c ON c.repo_id = r.repo_id AND c.seq > ? AND c.seq <= r.seq WHERE r.repo_id = ?",
        (after, repo_id),
    )
    if not rows:
        return 0, []
    return int(rows[0][0]), [claim for _, claim in rows if claim is not None]


def written_since(tx: Tx, repo_id: str, since_seq: int) -> list[ClaimRow]:
    return tx.rows(ClaimRow, f"{_SELECT} WHERE repo_id = ? AND seq >= ?", (repo_id, since_seq))


def by_id(tx: Tx, claim_id: int) -> ClaimRow | None:
    return tx.row(ClaimRow, f"{_SELECT} WHERE id = ?", (claim_id,))


def by_id_sent(tx: Tx, claim_id: int) -> SentRows[ClaimRow]:
    """`by_id`, sent now: `.one()` reads the row (None when there is none)."""
    return tx.later_rows(ClaimRow, f"{_SELECT} WHERE id = ?", (claim_id,))


def by_ids(tx: Tx, ids: Sequence[int], order_by_id: bool = False) -> list[ClaimRow]:
    """The rows with these ids (each once): in id order, or in the order given."""
    if not ids:
        return []
    if order_by_id:
        return tx.rows(ClaimRow, f"{_SELECT} WHERE id IN ({_marks(ids)}) ORDER BY id", list(ids))
    rows = tx.rows(ClaimRow, f"{_SELECT} WHERE id IN ({_marks(ids)})", list(ids))
    order = {claim_id: i for i, claim_id in enumerate(ids)}
    return sorted(rows, key=lambda r: order[r.id])


def repo_of(tx: Tx, claim_id: int) -> str | None:
    repo_id = tx.scalar("SELECT repo_id FROM claims WHERE id = ?", (claim_id,))
    return None if repo_id is None else str(repo_id)


def held_by_others(tx: Tx, ids: Sequence[int], engineer: str) -> list[tuple[int, str]]:
    """(id, engineer) of those of these claims another engineer holds, by id."""
    return tx.rows(
        _pair,
        f"SELECT id, engineer FROM claims WHERE id IN ({_marks(ids)}) AND engineer <> ? ORDER BY id",
        [*ids, engineer],
    )


def _equal_filters(**columns: str | None) -> tuple[list[str], list[Any]]:
    """`column = ?` conditions for the columns given a value (column names are ours, never input)."""
    given = {column: value for column, value in columns.items() if value}
    return [f"{column} = ?" for column in given], list(given.values())


def active_matching(
    tx: Tx,
    repo_id: str,
    engineer: str | None,
    session_id: str | None,
    pattern: str | None,
    ids: Sequence[int] | None,
) -> list[ClaimRow]:
    """The repo's active claims matching every filter given (a bulk release)."""
    where, params = _equal_filters(repo_id=repo_id, engineer=engineer, session_id=session_id, pattern=pattern)
    where.append("state = 'active'")
    if ids:
        where.append(f"id IN ({_marks(ids)})")
        params.extend(ids)
    return tx.rows(ClaimRow, f"{_SELECT} WHERE {' AND '.join(where)}", params)


def listing(
    tx: Tx,
    repo_id: str | None,
    engineer: str | None,
    session_id: str | None,
    pattern: str | None,
    before: int | None,
    live_at: float | None,
    idle_cutoff: float | None,
    limit: int,
) -> list[ClaimRow]:
    """Claims newest first; with `live_at`, only those that count at that instant (unexpired,
    active, and, with `idle_cutoff`, of no session silent since before it)."""
    where, params = _equal_filters(repo_id=repo_id, engineer=engineer, session_id=session_id, pattern=pattern)
    if before is not None:
        where.append("id < ?")
        params.append(before)
    if live_at is not None:
        where += ["state = 'active'", "expires_at > ?"]
        params.append(live_at)
        if idle_cutoff is not None:
            where.append(
                "(session_id IS NULL OR session_id NOT IN (SELECT session_id FROM sessions WHERE last_seen < ?))"
            )
            params.append(idle_cutoff)
    sql = _SELECT
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    return tx.rows(ClaimRow, sql, params)


def active_symbol_claims_on(tx: Tx, repo_id: str, paths: Sequence[str]) -> list[ClaimRow]:
    """The repo's active symbol claims on these literal paths."""
    return tx.rows(
        ClaimRow,
        f"{_SELECT} WHERE repo_id = ? AND state = 'active' AND symbols <> '[]' AND pattern IN ({_marks(paths)})",
        [repo_id, *paths],
    )


def active_repos(tx: Tx) -> list[str]:
    return tx.rows(str, "SELECT DISTINCT repo_id FROM claims WHERE state = 'active'")


def repos_with_expired(tx: Tx, stamp: float) -> list[str]:
    """The repos with an active claim whose TTL ran out by `stamp`."""
    return tx.rows(str, "SELECT DISTINCT repo_id FROM claims WHERE state = 'active' AND expires_at <= ?", (stamp,))


def expired(tx: Tx, stamp: float, repo_id: str) -> list[ClaimRow]:
    """The repo's active claims whose TTL ran out by `stamp`."""
    return tx.rows(ClaimRow, f"{_SELECT} WHERE repo_id = ? AND state = 'active' AND expires_at <= ?", (repo_id, stamp))


def repos_with_idle(tx: Tx, cutoff: float) -> list[str]:
    """The repos with an active claim of a session last seen before `cutoff`."""
    return tx.rows(
        str,
        "SELECT DISTINCT c.repo_id FROM claims c JOIN sessions s ON s.session_id = c.session_id"
        " WHERE c.state = 'active' AND s.last_seen < ?",
        (cutoff,),
    )


def idle(tx: Tx, cutoff: float, repo_id: str) -> list[ClaimRow]:
    """The repo's active claims of sessions last seen before `cutoff`."""
    return tx.rows(
        ClaimRow,
        f"{_SELECT} WHERE repo_id = ? AND state = 'active'"
        " AND session_id IN (SELECT session_id FROM sessions WHERE last_seen < ?)",
        (repo_id, cutoff),
    )


def count_live_of_session(tx: Tx, session_id: str, after: float) -> int:
    return int(
        tx.scalar(
            "SELECT COUNT(*) AS n FROM claims WHERE session_id = ? AND state = 'active' AND expires_at > ?",
            (session_id, after),
        )
        or 0
    )


def session_has_active(tx: Tx, session_id: str) -> bool:
    return (
        tx.row(int, "SELECT id FROM claims WHERE session_id = ? AND state = 'active' LIMIT 1", (session_id,))
        is not None
    )


def repos_of_session(tx: Tx, session_id: str) -> list[str]:
    return tx.rows(str, "SELECT DISTINCT repo_id FROM claims WHERE session_id = ? AND state = 'active'", (session_id,))


def active_of_session(tx: Tx, repo_id: str, session_id: str) -> list[ClaimRow]:
    return tx.rows(
        ClaimRow, f"{_SELECT} WHERE repo_id = ? AND session_id = ? AND state = 'active'", (repo_id, session_id)
    )


# ----------------------------------------------------------------- writes


def insert(
    tx: Tx,
    repo_id: str,
    engineer: str,
    session_id: str | None,
    branch: str | None,
    description: str | None,
    claim_type: str,
    pattern: str,
    symbols_json: str,
    narrowable: bool,
    partners_json: str,
    created_at: float,
    expires_at: float,
    seq: int,
    claim_id: int | None = None,
) -> ClaimRow:
    """A new active claim whose fence is `seq`; its row as inserted.

    With `claim_id` (reserved by `reserve_ids_sent`) the row is written with that id and
    not read back: the statement needs no round trip of its own."""
    values = (
        repo_id,
        engineer,
        session_id,
        branch,
        description,
        claim_type,
        pattern,
        symbols_json,
        narrowable,
        partners_json,
        created_at,
        expires_at,
        seq,
        seq,
    )
    if claim_id is not None:
        tx.execute(
            "INSERT INTO claims (id, repo_id, engineer, session_id, branch, description, type, pattern,"
            " symbols, narrowable, carved, coexists_with, state, created_at, expires_at, fence, seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, 'active', ?, ?, ?, ?)",
            (claim_id, *values),
        )
        return ClaimRow(
            id=claim_id,
            repo_id=repo_id,
            engineer=engineer,
            session_id=session_id,
            branch=branch,
            description=description,
            type=claim_type,
            pattern=pattern,
            symbols=symbols_json,
            narrowable=narrowable,
            carved="[]",
            coexists_with=partners_json,
            state="active",
            created_at=created_at,
            expires_at=expires_at,
            ended_at=None,
            fence=seq,
            seq=seq,
        )
    row = tx.row(
        ClaimRow,
        "INSERT INTO claims (repo_id, engineer, session_id, branch, description, type, pattern,"
        " symbols, narrowable, carved, coexists_with, state, created_at, expires_at, fence, seq)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, 'active', ?, ?, ?, ?) RETURNING {CLAIM_COLUMNS}",
        values,
    )
    assert row is not None
    return row


def reserve_ids_sent(tx: Tx, count: int) -> Callable[[], list[int]] | None:
    """`count` fresh claim ids from the claims' sequence, sent now and read when called (so a
    claim's INSERT can be written without reading its id back). None on SQLite, whose ids
    come from the INSERT. An id reserved and not used is a gap, as a rolled-back INSERT's is."""
    if tx.dialect != "postgresql" or count <= 0:
        return None
    pending = tx.later_rows(
        int, "SELECT nextval(pg_get_serial_sequence('claims', 'id')) AS id FROM generate_series(1, ?)", (count,)
    )
    return pending.all


def refresh(tx: Tx, claim_id: int, expires_at: float, seq: int, session_id: str | None) -> None:
    tx.execute(
        "UPDATE claims SET expires_at = ?, seq = ?, session_id = COALESCE(?, session_id) WHERE id = ?",
        (expires_at, seq, session_id, claim_id),
    )


def partner_fields(tx: Tx, claim_id: int) -> tuple[str, str] | None:
    """The claim's (`coexists_with`, `carved`), both JSON."""
    return tx.row(_pair, "SELECT coexists_with, carved FROM claims WHERE id = ?", (claim_id,))


def set_partners(tx: Tx, claim_id: int, partners_json: str, carved_json: str, seq: int) -> None:
    tx.execute(
        "UPDATE claims SET coexists_with = ?, carved = ?, seq = ? WHERE id = ?",
        (partners_json, carved_json, seq, claim_id),
    )


def end(tx: Tx, claim_id: int, state: str, ended_at: float, seq: int) -> None:
    tx.execute("UPDATE claims SET state = ?, ended_at = ?, seq = ? WHERE id = ?", (state, ended_at, seq, claim_id))


def set_expiry(tx: Tx, claim_id: int, expires_at: float, seq: int) -> None:
    tx.execute("UPDATE claims SET expires_at = ?, seq = ? WHERE id = ?", (expires_at, seq, claim_id))


def restore_expiry(tx: Tx, claim_id: int, expires_at: float, seq: int, now: float) -> None:
    """Move a still-active claim's expiry back out to `expires_at`, unless it already ran out by `now`."""
    tx.execute(
        "UPDATE claims SET expires_at = ?, seq = ? WHERE id = ? AND state = 'active'"
        " AND expires_at < ? AND expires_at > ?",
        (expires_at, seq, claim_id, expires_at, now),
    )


def narrow_pattern(tx: Tx, claim_id: int, pattern: str, carved_json: str, seq: int) -> None:
    tx.execute("UPDATE claims SET pattern = ?, carved = ?, seq = ? WHERE id = ?", (pattern, carved_json, seq, claim_id))


def narrow_symbols(tx: Tx, claim_id: int, symbols_json: str, seq: int) -> None:
    tx.execute("UPDATE claims SET symbols = ?, carved = '[]', seq = ? WHERE id = ?", (symbols_json, seq, claim_id))
