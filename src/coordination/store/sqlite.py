"""SQLite store: WAL, one writer at a time, `BEGIN IMMEDIATE` for check-then-insert.

Faults of the file itself (locked by another process, disk full, read-only,
corrupted, deleted or replaced under the server) end the transaction with
`Unavailable`: a 503 with the reason, the transaction rolled back, and
`health()` (which `/readyz` reads) saying what is wrong.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import sqlalchemy.exc

from coordination.errors import Unavailable
from coordination.store import migrate, waits
from coordination.store.checkpoints import Checkpointer
from coordination.store.identity import FileIdentity
from coordination.store.sqltx import SqlTx

DEFAULT_BUSY_TIMEOUT_SEC = waits.DEFAULT_BUSY_TIMEOUT_SEC
# /readyz waits at most this long for the write lock before calling the database stuck.
LOCK_PROBE_SEC = 1.0

# Primary SQLite result codes (the low byte of the extended code).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26


def storage_problem(exc: BaseException, path: Path, busy_sec: float) -> str | None:
    """The reason to give for a fault of the database file, or None when `exc` is not one (a bug)."""
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(exc, OSError):
        return f"cannot use the database directory {path.parent}: {exc.strerror or exc}"
    if not isinstance(exc, sqlite3.Error):
        return None
    if not isinstance(exc, sqlite3.OperationalError) and type(exc) is not sqlite3.DatabaseError:
        return None  # integrity, programming and interface errors are bugs, not faults
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return (
            f"database locked by another process for more than {busy_sec:g}s (COORD_DB_BUSY_TIMEOUT_SEC); retry shortly"
        )
    if primary == SQLITE_FULL:
        return f"the disk holding the database {path} is full ({exc}); free space, then retry"
    if primary == SQLITE_READONLY:
        return f"the database {path} is read-only ({exc}); make the file and its directory writable by coord"
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return f"the database {path} is corrupted ({exc}); stop coord and restore the file from a backup"
    if primary == SQLITE_IOERR:
        return f"disk I/O error on the database {path} ({exc}); check the disk and free space"
    if primary == SQLITE_CANTOPEN:
        return f"cannot open the database {path} ({exc}); check that the file and its directory exist and are writable"
    return None


def _busy(exc: sqlite3.Error) -> bool:
    """Another connection holds the lock this statement needs (SQLITE_BUSY or SQLITE_LOCKED)."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (SQLITE_BUSY, SQLITE_LOCKED)


def _rollback(conn: sqlite3.Connection) -> None:
    # A full disk or an I/O error may already have rolled the transaction back.
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


class SqliteStore:
    dialect = "sqlite"
    shared_clock = False

    def __init__(self, path: Path, busy_timeout_sec: float = DEFAULT_BUSY_TIMEOUT_SEC) -> None:
        self.path = path
        self.busy_timeout_sec = busy_timeout_sec
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Unavailable(f"cannot create the database directory {path.parent}: {exc.strerror or exc}") from None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        # Threads of this process queue here, so SQLite's own busy wait (which
        # sleeps in coarse steps) only arbitrates between processes. The wait is
        # bounded: a writer stuck behind another process must not queue the rest.
        self._writer = waits.WaitLock(busy_timeout_sec, "the database write lock")
        self._identity: FileIdentity | None = None
        self._guards: list[Callable[[], str | None]] = []
        self._fault: str | None = None
        self._checkpointer: Checkpointer | None = None

    def watch(self, check: Callable[[], str | None]) -> None:
        """Also refuse transactions while `check()` names a problem (the instance lock file, say)."""
        self._guards.append(check)

    def listen(self, channel: str, on_message: Callable[[str], None]) -> None:
        """SQLite announces nothing: the processes on one file notice changes by polling."""

    def checkpoint_in_background(self) -> None:
        """From now on a thread checkpoints the WAL after commits, not the commits themselves
        (store/checkpoints.py); until `close`."""
        if self._checkpointer is not None:
            return
        with self._connections_lock:
            for conn in self._connections:  # opened before serving: idle now
                conn.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer = Checkpointer(self._connection, lambda: self._writer)

    def background_checkpoints(self) -> Checkpointer | None:
        return self._checkpointer

    def _at_head(self) -> bool:
        """The schema is at the migrations' head: one SELECT, no Alembic. Any problem reading
        it says no, so Alembic runs and reports that problem as it always has."""
        if not self.path.exists():
            return False
        try:
            return self.schema_revision() == migrate.head_revision()
        except Exception:
            return False

    def migrate(self) -> None:
        try:
            # A schema already at head (the start-up check migrated it) needs no Alembic run.
            if not self._at_head():
                migrate.upgrade_sqlite(self.path)
            self._connection()  # puts the file in WAL mode once, at start-up
        except Unavailable:
            raise
        except Exception as exc:
            problem = storage_problem(exc, self.path, self.busy_timeout_sec)
            if problem is None:
                raise
            raise Unavailable(problem) from None

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self._refuse_if_unusable()
            # Only the first open may create the file: a later one finding it gone must
            # not start an empty database in its place (a restart would then use it).
            mode = "rwc" if self._identity is None else "rw"
            uri = f"file:{urllib.parse.quote(os.fspath(self.path))}?mode={mode}"
            # isolation_level=None: we issue BEGIN ourselves; Python's implicit
            # deferred BEGIN would fail read-then-write with SQLITE_BUSY at once.
            conn = sqlite3.connect(
                uri,
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=self.busy_timeout_sec,
            )
            conn.row_factory = sqlite3.Row
            # Switching to WAL takes a lock; skip it when the file already is (every open but the first).
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; see docs/architecture.md.
            conn.execute("PRAGMA synchronous=NORMAL")
            if self._checkpointer is not None:
                conn.execute("PRAGMA wal_autocheckpoint=0")
            conn.execute("PRAGMA foreign_keys=ON")
            if self._identity is None:
                self._identity = FileIdentity(self.path, "database file")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def _problem(self) -> str | None:
        """A reason the file must not be used now: deleted, replaced, or a guard's complaint."""
        if self._identity is not None:
            problem = self._identity.problem()
            if problem:
                return problem
        for check in self._guards:
            problem = check()
            if problem:
                return problem
        return None

    @contextmanager
    def _faults(self, record: bool = True) -> Iterator[None]:
        """Turn faults of the file into `Unavailable` with the reason; let bugs through."""
        try:
            yield
        except sqlite3.Error as exc:
            raise self._unavailable(exc, record) from None

    def _unavailable(self, exc: sqlite3.Error, record: bool = True) -> BaseException:
        busy = _busy(exc)
        if busy and waits.must_not_wait():
            # Tried "now or not at all" (api/threads.py) and another connection holds the lock:
            # nothing was written, the call goes where it may wait.
            return waits.WouldWait("the database (another connection holds its lock)")
        problem = storage_problem(exc, self.path, self.busy_timeout_sec)
        if problem is None:
            return exc
        if record and not busy:
            self._fault = problem
        return Unavailable(problem)

    def _begin(self, conn: sqlite3.Connection, statement: str) -> None:
        # SQLite's busy wait gets what is left of this request's budget, in 100 ms steps
        # so that an uncontended request sets the same value as the last and skips it.
        wait_ms = 0 if waits.must_not_wait() else int(waits.remaining(self.busy_timeout_sec) * 10) * 100
        if getattr(self._local, "busy_ms", None) != wait_ms:
            conn.execute(f"PRAGMA busy_timeout={wait_ms}")
            self._local.busy_ms = wait_ms
        conn.execute(statement)

    def _refuse_if_unusable(self) -> None:
        problem = self._problem()
        if problem:
            raise Unavailable(problem)

    @contextmanager
    def write(self, repo_id: str | None) -> Iterator[SqlTx]:
        del repo_id  # SQLite has one writer for the whole file anyway
        with self._writer:
            try:
                conn = self._connection()
                self._begin(conn, "BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._unavailable(exc) from None
            waits.holding_write_lock()
            try:
                yield SqlTx(conn, pyformat=False)
                # Checked under the write lock, just before the commit: a write into a
                # file the path no longer names would be acknowledged and then lost.
                self._refuse_if_unusable()
                conn.execute("COMMIT")
                if self._checkpointer is not None:
                    self._checkpointer.nudge()
            except sqlite3.Error as exc:
                _rollback(conn)
                raise self._unavailable(exc) from None
            except BaseException:
                _rollback(conn)
                raise
            self._fault = None

    @contextmanager
    def read(self) -> Iterator[SqlTx]:
        with self._faults():
            # Reads check the file only (one stat): a read from a deleted file would answer
            # from data no one else sees. The guards (the lock file) matter to writes.
            problem = self._identity.problem() if self._identity is not None else None
            if problem:
                raise Unavailable(problem)
            conn = self._connection()
            self._begin(conn, "BEGIN")
            try:
                yield SqlTx(conn, pyformat=False)
            except BaseException:
                _rollback(conn)
                raise
            conn.execute("COMMIT")

    def verify(self) -> None:
        """Refuse to start on a file with damaged pages (linear in the file's size, once)."""
        with self.read() as tx:
            rows = [next(iter(r.values())) for r in tx.all("PRAGMA quick_check(3)")]
        if rows != ["ok"]:
            raise Unavailable(
                f"the database {self.path} is corrupted ({'; '.join(map(str, rows))[:300]}); "
                "stop coord and restore the file from a backup"
            )

    def health(self) -> str | None:
        """None when writes can go through now; otherwise why not (for /readyz)."""
        problem = self._problem()
        if problem:
            return problem
        if self._fault:
            return f"the last write failed: {self._fault}"
        # Another process holding the write lock passes every read and fails every write.
        waits.begin(min(self.busy_timeout_sec, LOCK_PROBE_SEC))
        try:
            with self._writer, self._faults(record=False):
                conn = self._connection()
                self._begin(conn, "BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
        except Unavailable as exc:
            return exc.detail
        finally:
            waits.end()
        return None

    def schema_revision(self) -> str | None:
        with self.read() as tx:
            try:
                value = tx.scalar("SELECT version_num FROM alembic_version")
            except sqlite3.OperationalError:
                return None
        return str(value) if value is not None else None

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
