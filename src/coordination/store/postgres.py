"""PostgreSQL store: a pool of connections, a per-repo advisory lock for writers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from coordination.errors import Unavailable
from coordination.store import migrate
from coordination.store.sqltx import SqlTx

POOL_TIMEOUT_SEC = 30.0


class PostgresStore:
    dialect = "postgresql"
    shared_clock = True

    def __init__(self, url: str, pool_size: int = 8) -> None:
        self.url = url
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"row_factory": dict_row, "autocommit": False},
            open=True,
        )

    def migrate(self) -> None:
        migrate.upgrade_postgres(self.url)

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection(timeout=POOL_TIMEOUT_SEC) as conn:
                yield conn
        except PoolTimeout:
            raise Unavailable("no database connection available in time; retry shortly") from None
        except psycopg.OperationalError as exc:
            raise Unavailable(f"database unreachable ({type(exc).__name__}); retry shortly") from None

    @contextmanager
    def write(self, repo_id: str | None) -> Iterator[SqlTx]:
        with self._connection() as conn, conn.transaction():
            if repo_id is not None:
                # Held until commit: every writer of this repo, in every replica,
                # takes its turn, so the conflict check and the insert are atomic.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (repo_id,))
            yield SqlTx(conn, pyformat=True)

    @contextmanager
    def read(self) -> Iterator[SqlTx]:
        with self._connection() as conn, conn.transaction():
            yield SqlTx(conn, pyformat=True)

    def schema_revision(self) -> str | None:
        try:
            with self.read() as tx:
                value = tx.scalar("SELECT version_num FROM alembic_version")
        except psycopg.errors.UndefinedTable:
            return None
        return str(value) if value is not None else None

    def close(self) -> None:
        self._pool.close()
