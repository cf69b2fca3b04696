"""PostgreSQL store: a pool of connections, a per-repo advisory lock for writers.

Waits are bounded so an outage answers 503 quickly instead of hanging:
checkout waits at most the request's budget (`COORD_DB_BUSY_TIMEOUT_SEC`),
and while the database is known to be down only `OUTAGE_WAIT_SEC`; a
connection idle for more than `CHECK_AFTER_IDLE_SEC` (any, while the database was
last found down) is checked before use, so connections a restart killed are
replaced instead of failing a request each; a new connection gives up after
`COORD_DB_CONNECT_TIMEOUT_SEC`; lock waits end at the same budget
(`lock_timeout`). The pool retries connecting in the background with a short
backoff, so it is serving again within seconds of the database coming back.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg import pq
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from coordination.errors import Unavailable
from coordination.store import migrate, waits
from coordination.store.listener import Listener
from coordination.store.sqltx import SqlTx

DEFAULT_BUSY_TIMEOUT_SEC = waits.DEFAULT_BUSY_TIMEOUT_SEC
DEFAULT_CONNECT_TIMEOUT_SEC = 3
# While the last attempt found the database down, a request waits this long for a connection:
# requests queued behind each other on a repo then fail fast too, while the pool reconnects.
OUTAGE_WAIT_SEC = 0.1
# A statement run this many times on a connection is prepared there (psycopg's default).
PREPARE_THRESHOLD = 5
# A connection given back less than this long ago is handed out again without a check (one
# round trip); one idle for longer, or any while the database was last found down, is checked.
CHECK_AFTER_IDLE_SEC = 1.0


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
        self._connect_timeout_sec = connect_timeout_sec
        self._listener: Listener | None = None
        self._guards: list[Callable[[], str | None]] = []
        self._outage: str | None = None
        self._outage_lock = threading.Lock()
        # When each connection was last given back to the pool (monotonic seconds).
        self._returned: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = weakref.WeakKeyDictionary()
        lock_timeout_ms = max(1, int(busy_timeout_sec * 1000))

        def configure(conn: psycopg.Connection[Any]) -> None:
            # A writer waiting for another's advisory or row lock gives up with the request's budget.
            conn.execute(f"SET lock_timeout = {lock_timeout_ms}")

        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            # Autocommit: a write is an explicit transaction (`write`), a read runs each statement
            # on its own (PostgreSQL's READ COMMITTED gives every statement its own snapshot
            # anyway), so a read costs no BEGIN and COMMIT round trips. A statement the
            # connection has run `prepare_threshold` times is prepared on the server.
            kwargs={
                "row_factory": dict_row,
                "autocommit": True,
                "connect_timeout": connect_timeout_sec,
                "prepare_threshold": PREPARE_THRESHOLD,
            },
            configure=configure,
            check=self._check,
            timeout=busy_timeout_sec,
            # The pool's reconnect backoff doubles up to this and starts over when a
            # request next asks: keeping it short bounds the gap after a restart.
            reconnect_timeout=max(2.0, busy_timeout_sec),
            open=True,
        )

    def _check(self, conn: psycopg.Connection[Any]) -> None:
        """The pool's check before it hands out a connection: a round trip, unless the
        connection was in use a moment ago (and the database was not found down since)."""
        returned = self._returned.get(conn)
        if returned is not None and self._outage is None and time.monotonic() - returned < CHECK_AFTER_IDLE_SEC:
            return
        ConnectionPool.check_connection(conn)

    def watch(self, check: Callable[[], str | None]) -> None:
        self._guards.append(check)

    def listen(self, channel: str, on_message: Callable[[str], None]) -> None:
        """LISTEN on `channel` in this process's listener thread (`coordination.store.listener`)."""
        if self._listener is None:
            self._listener = Listener(self.url, self._connect_timeout_sec)
        self._listener.add(channel, on_message)

    @property
    def listener(self) -> Listener | None:
        return self._listener

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
                self._returned[conn] = time.monotonic()
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
        with self._connection() as conn, _pipelined_transaction(conn):
            if repo_id is not None:
                # Held until commit: every writer of this repo, in every replica,
                # takes its turn, so the conflict check and the insert are atomic.
                # The statements after it run, and take their snapshots, once it is held.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (repo_id,))
            yield SqlTx(conn, pyformat=True)

    @contextmanager
    def read(self) -> Iterator[SqlTx]:
        # No transaction block: each statement runs on its own (the connection is in autocommit).
        with self._connection() as conn:
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
        if self._listener is not None:
            self._listener.close()
        self._pool.close()


@contextmanager
def _pipeline(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Pipeline mode for the block (see `coordination.store.sqltx`). When the block fails,
    the results still pending are collected first, so the block's own error is the one raised."""
    with conn.pipeline() as pipeline:
        try:
            yield
        except BaseException:
            if conn.pgconn.status == pq.ConnStatus.OK:
                with suppress(psycopg.Error):
                    pipeline.sync()
            raise


@contextmanager
def _pipelined_transaction(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """One transaction block in pipeline mode: BEGIN travels with the block's first read, COMMIT
    with the last sync, so a transaction costs no round trip of its own to open and one to
    commit. Anything raised in the block rolls it back."""
    committed = False
    try:
        with _pipeline(conn):
            conn.execute("BEGIN")
            yield
            conn.execute("COMMIT")
        committed = True
    finally:
        in_block = conn.info.transaction_status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR)
        if not committed and conn.pgconn.status == pq.ConnStatus.OK and in_block:
            with suppress(psycopg.Error):  # the pool discards or resets a connection left so
                conn.execute("ROLLBACK")
