"""Seed a coord database with many active claims directly, far faster than over HTTP.

The schema must already exist (start the server once, or call the store's `migrate()`).
Rows look like the ones the service writes: one exact-file claim each, one sequence
number each, and the repo's sequence counter at the last of them.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


def _rows(repo_id: str, count: int, ttl_sec: float) -> list[tuple[object, ...]]:
    now = time.time()
    return [
        (
            repo_id,
            f"seed{i % 50}/agent/1",
            None,
            "seed",
            "seeded claim",
            "file",
            f"seed/d{i // 1000}/s{(i // 10) % 100}/f{i}.ts",
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
        for seq, i in enumerate(range(count), start=1)
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


def seed_sqlite(path: Path, repo_id: str, count: int, ttl_sec: float = 3600.0) -> None:
    """Insert `count` active claims of `repo_id` into an empty repo of the SQLite file at `path`."""
    with sqlite3.connect(path) as conn:
        conn.executemany(INSERT.format(", ".join("?" * 16)), _rows(repo_id, count, ttl_sec))
        conn.execute(STATE.format("?"), (repo_id, count))


def seed_postgres(url: str, repo_id: str, count: int, ttl_sec: float = 3600.0) -> None:
    """The same for a PostgreSQL database."""
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.executemany(INSERT.format(", ".join(["%s"] * 16)), _rows(repo_id, count, ttl_sec))
        cur.execute(STATE.format("%s"), (repo_id, count))


def active_claims(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM claims WHERE state = 'active'").fetchone()[0])
