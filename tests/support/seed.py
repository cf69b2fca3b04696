"""Seed a coord database with many active claims directly, far faster than over HTTP.

The schema must already exist (start the server once, or call the store's `migrate()`).
Rows look like the ones the service writes: one exact-file claim each, one sequence
number each, and the repo's sequence counter at the last of them.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path


def default_claims(count: int) -> list[tuple[str, str]]:
    """(engineer, pattern) for `count` exact-file claims of 50 engineers, one file each."""
    return [(f"seed{i % 50}/agent/1", f"seed/d{i // 1000}/s{(i // 10) % 100}/f{i}.ts") for i in range(count)]


def _rows(repo_id: str, claims: Sequence[tuple[str, str]], ttl_sec: float) -> list[tuple[object, ...]]:
    now = time.time()
    return [
        (
            repo_id,
            engineer,
            None,
            "seed",
            "seeded claim",
            "file",
            pattern,
            "[]",
            True,
            "[]",
            "[]",
            "active",
            now,
            now + ttl_sec,
            seq,
            seq,
        )
        for seq, (engineer, pattern) in enumerate(claims, start=1)
    ]


INSERT = (
    "INSERT INTO claims (repo_id, engineer, session_id, branch, description, type, pattern, symbols,"
    " narrowable, carved, coexists_with, state, created_at, expires_at, fence, seq)"
    " VALUES ({})"
)
STATE = (
    "INSERT INTO repo_state (repo_id, seq) VALUES ({0}, {0})"
    " ON CONFLICT (repo_id) DO UPDATE SET seq = repo_state.seq + excluded.seq"
)


def seed_sqlite(
    path: Path, repo_id: str, count: int, ttl_sec: float = 3600.0, claims: Sequence[tuple[str, str]] | None = None
) -> None:
    """Insert `count` active claims of `repo_id` into an empty repo of the SQLite file at `path`
    (`claims`: the (engineer, pattern) pairs to insert instead of `default_claims(count)`)."""
    pairs = default_claims(count) if claims is None else claims
    with sqlite3.connect(path) as conn:
        conn.executemany(INSERT.format(", ".join("?" * 16)), _rows(repo_id, pairs, ttl_sec))
        conn.execute(STATE.format("?"), (repo_id, len(pairs)))


def seed_postgres(
    url: str, repo_id: str, count: int, ttl_sec: float = 3600.0, claims: Sequence[tuple[str, str]] | None = None
) -> None:
    """The same for a PostgreSQL database."""
    import psycopg

    pairs = default_claims(count) if claims is None else claims
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.executemany(INSERT.format(", ".join(["%s"] * 16)), _rows(repo_id, pairs, ttl_sec))
        cur.execute(STATE.format("%s"), (repo_id, len(pairs)))


def active_claims(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM claims WHERE state = 'active'").fetchone()[0])
