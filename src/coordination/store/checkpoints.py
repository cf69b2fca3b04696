"""SQLite's WAL copied back into the database file by a thread of its own, not by a request.

By default SQLite checkpoints inside the commit that pushes the WAL past 1,000
pages: that one request copies about 4 MB and waits for two fsyncs, every few
hundred writes (4-6 ms on the machine the benchmark runs on, against a median
claim of well under a millisecond: the periodic stalls in the scaling notes of
docs/architecture.md). While a server runs, its connections do not checkpoint
(`wal_autocheckpoint=0`); this thread does, PASSIVE, shortly after commits:
a PASSIVE checkpoint takes no lock writers need, so they never wait for it.

The WAL starts over from its beginning only when a write begins after a
checkpoint has copied all of it, so under writes that never pause a PASSIVE
checkpoint alone lets it grow without end (measured: 650 MB in 20 s of the
service benchmark). Past `RESTART_FRAMES` frames the thread therefore takes
this process's write lock and runs a RESTART checkpoint, which has little left
to copy after the PASSIVE one: a short pause once per some 16 MB of WAL,
instead of a 4 MB copy and two fsyncs inside a request every 4 MB.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

log = logging.getLogger("coordination.store")

# Commits arriving within this window share one checkpoint.
BATCH_SEC = 0.02
# About 16 MB of WAL (4 KiB pages; a claim or release writes about nine): then the WAL is made
# to start over, holding this process's writers off for the RESTART (a few milliseconds at most).
RESTART_FRAMES = 4_000
# How long the RESTART waits for readers still on the old WAL before it gives up until the next round.
READERS_WAIT_MS = 50
# After a failure (a full disk, a file gone) the thread tries again this much later.
RETRY_SEC = 1.0


class Checkpointer:
    """A daemon thread checkpointing the WAL after commits (`nudge`), until `stop`."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        write_lock: Callable[[], AbstractContextManager[object]],
        name: str = "coord-checkpoint",
    ) -> None:
        self._connect = connect
        self._write_lock = write_lock
        self._due = threading.Event()
        self._stopping = threading.Event()
        self.restarts = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """A commit happened: checkpoint soon."""
        self._due.set()

    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._due.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while not self._stopping.is_set():
            self._due.wait()
            if self._stopping.wait(BATCH_SEC):
                return
            self._due.clear()
            try:
                if conn is None:
                    conn = self._connect()
                    conn.execute(f"PRAGMA busy_timeout={READERS_WAIT_MS}")
                self.checkpoint_once(conn)
            except Exception as exc:  # a full disk, a file gone: requests report it; try again later
                log.debug("background WAL checkpoint failed: %s", exc)
                conn = None
                if self._stopping.wait(RETRY_SEC):
                    return
                self._due.set()

    def checkpoint_once(self, conn: sqlite3.Connection) -> None:
        _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if frames >= RESTART_FRAMES:
            # Copied or not, the WAL only starts over when a write begins with all of it copied,
            # which writes that never pause never see: hold them off for one short RESTART.
            # One statement under the lock, nothing else: each step of Python in here waits for
            # the GIL, and every request of this process waits for the lock.
            with self._write_lock():
                conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            self.restarts += 1
