"""PostgreSQL store: a pool of connections, a per-repo advisory lock for writers.

Waits are bounded so an outage answers 503 quickly instead of hanging:
checkout waits at most the request's budget (`COORD_DB_BUSY_TIMEOUT_SEC`),
and while the database is known to be down only `OUTAGE_WAIT_SEC`; each
connection is checked before use, so connections a restart killed are
replaced instead of failing a request each; a new connection gives up after
`COORD_DB_CONNECT_TIMEOUT_SEC`; lock waits end at the same budget
(`lock_timeout`). The pool retries connecting in the background with a short
backoff, so it is serving again within seconds of the database coming back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from coordination.errors import Unavailable
from coordination.store import migrate, waits
from coordination.store.sqltx import SqlTx

DEFAULT_BUSY_TIMEOUT_SEC = waits.DEFAULT_BUSY_TIMEOUT_SEC
DEFAULT_CONNECT_TIMEOUT_SEC = 3
# While the last attempt found the database down, a request waits this long for a connection:
# requests queued behind each other on a repo then fail fast too, while the pool reconnects.
OUTAGE_WAIT_SEC = 0.1


class PostgresStore:
    dialect = "postgresql"
    shared_clock = True

    def __init__(
        self,
        url: str,
        pool_size: int = 8,
        busy_timeout_sec: float = DEFAULT_BUSY_TIMEOUT_SEC,
        connect_timeout_sec: int = DEFAULT_CONNECT_TIMEOUT_SEC,
    ) -> None:
        self.url = url
        self.busy_timeout_sec = busy_timeout_sec
        self._guards: list[Callable[[], str | None]] = []
        self._outage: str | None = None
        self._outage_lock = threading.Lock()
        lock_timeout_ms = max(1, int(busy_timeout_sec * 1000))

        def configure(conn: psycopg.Connection[Any]) -> None:
            # A writer waiting for another's advisory or row lock gives up with the request's budget.
            conn.execute(f"SET lock_timeout = {lock_timeout_ms}")
            conn.commit()

        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"row_factory": dict_row, "autocommit": False, "connect_timeout": connect_timeout_sec},
            configure=configure,
            check=ConnectionPool.check_connection,
            timeout=busy_timeout_sec,
            # The pool's reconnect backoff doubles up to this and starts over when a
            # request next asks: keeping it short bounds the gap after a restart.
            reconnect_timeout=max(2.0, busy_timeout_sec),
            open=True,
        )

    def watch(self, check: Callable[[], str | None]) -> None:
        self._guards.append(check)

    def _at_head(self) -> bool:
        """The schema is at the migrations' head: one SELECT, no Alembic. Any problem reading
        it says no, so Alembic runs and reports that problem as it always has."""
        try:
            return self.schema_revision() == migrate.head_revision()
        except Exception:
            return False

    def migrate(self) -> None:
        try:
            # A schema already at head (the start-up check migrated it) needs no Alembic run.
            if not self._at_head():
                migrate.upgrade_postgres(self.url)
        except Exception as exc:
            import sqlalchemy.exc

            if isinstance(exc, sqlalchemy.exc.OperationalError | psycopg.OperationalError):
                orig = getattr(exc, "orig", exc)
                first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
                raise Unavailable(f"cannot reach PostgreSQL at start-up: {first}") from None
            raise

    def _down(self, cause: str) -> None:
        with self._outage_lock:
            self._outage = cause

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        for check in self._guards:
            problem = check()
            if problem:
                raise Unavailable(problem)
        wait = waits.remaining(self.busy_timeout_sec)
        if self._outage is not None:
            wait = min(wait, OUTAGE_WAIT_SEC)
        try:
            with self._pool.connection(timeout=max(wait, 0.001)) as conn:
                yield conn
        except PoolTimeout:
            # Every connection failed its check or could not be made in time.
            cause = self._outage
            self._down(cause or "no connection in time")
            if cause:
                raise Unavailable(f"database unreachable ({cause}); retry shortly") from None
            raise Unavailable("no database connection available in time; retry shortly") from None
        except psycopg.errors.LockNotAvailable:
            raise Unavailable(
                f"database lock held by another transaction for more than {self.busy_timeout_sec:g}s "
                "(COORD_DB_BUSY_TIMEOUT_SEC); retry shortly"
            ) from None
        except psycopg.OperationalError as exc:
            self._down(type(exc).__name__)
            raise Unavailable(f"database unreachable ({type(exc).__name__}); retry shortly") from None
        else:
            if self._outage is not None:
                self._down_over()

    def _down_over(self) -> None:
        with self._outage_lock:
            self._outage = None

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

    def verify(self) -> None:
        """PostgreSQL checks its own pages; reaching it (migrate) is the start-up check."""

    def health(self) -> str | None:
        for check in self._guards:
            problem = check()
            if problem:
                return problem
        return None

    def schema_revision(self) -> str | None:
        try:
            with self.read() as tx:
                value = tx.scalar("SELECT version_num FROM alembic_version")
        except psycopg.errors.UndefinedTable:
            return None
        return str(value) if value is not None else None

    def close(self) -> None:
        self._pool.close()
