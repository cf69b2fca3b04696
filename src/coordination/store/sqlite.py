"""SQLite store: WAL, one writer at a time, `BEGIN IMMEDIATE` for check-then-insert."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coordination.errors import Unavailable
from coordination.store import migrate
from coordination.store.sqltx import SqlTx

BUSY_TIMEOUT_MS = 30_000


class SqliteStore:
    dialect = "sqlite"
    shared_clock = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        # Threads of this process queue here, so SQLite's own busy wait (which
        # sleeps in coarse steps) only arbitrates between processes.
        self._writer = threading.Lock()

    def migrate(self) -> None:
        migrate.upgrade_sqlite(self.path)
        self._connection()  # puts the file in WAL mode once, at start-up

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: we issue BEGIN ourselves; Python's implicit
            # deferred BEGIN would fail read-then-write with SQLITE_BUSY at once.
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            conn.row_factory = sqlite3.Row
            # Switching to WAL takes a lock; skip it when the file already is (every open but the first).
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; see docs/architecture.md.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def write(self, repo_id: str | None) -> Iterator[SqlTx]:
        del repo_id  # SQLite has one writer for the whole file anyway
        with self._writer:
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                # Another process held the write lock for the whole busy timeout.
                raise Unavailable(f"database busy ({exc}); retry shortly") from None
            try:
                yield SqlTx(conn, pyformat=False)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[SqlTx]:
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            yield SqlTx(conn, pyformat=False)
        finally:
            conn.execute("COMMIT")

    def schema_revision(self) -> str | None:
        with self.read() as tx:
            try:
                value = tx.scalar("SELECT version_num FROM alembic_version")
            except sqlite3.OperationalError:
                return None
        return str(value) if value is not None else None

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
