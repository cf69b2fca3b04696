"""PostgreSQL LISTEN in one background thread per process, on a connection of its own.

A transaction announces a change with NOTIFY (`store.queue.announce`); PostgreSQL delivers
it to every listening session once the transaction commits. The listener hands each payload
to the callbacks registered for its channel. It is a way to be woken early, never the only
one: while its connection is down (the database restarted, a network cut) notifications are
lost, so whoever listens also polls. It reconnects with a backoff of at most
`RECONNECT_MAX_SEC`, and LISTEN needs a session of its own: behind a pooler in transaction
mode (pgbouncer's `pool_mode = transaction`) notifications do not arrive and waiters fall
back to polling.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

__all__ = ["Listener"]

log = logging.getLogger("coordination.store")

RECONNECT_MAX_SEC = 5.0
# How long one wait for notifications lasts before the thread checks whether it should stop.
WAIT_SEC = 1.0


class Listener:
    def __init__(self, url: str, connect_timeout_sec: int) -> None:
        self.url = url
        self.connect_timeout_sec = connect_timeout_sec
        self._callbacks: dict[str, list[Callable[[str], None]]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Set while a connection is listening on every registered channel (tests wait for it).
        self.listening = threading.Event()
        self._listening_on: frozenset[str] = frozenset()

    def add(self, channel: str, on_message: Callable[[str], None]) -> None:
        with self._lock:
            callbacks = self._callbacks.setdefault(channel, [])
            if on_message not in callbacks:
                callbacks.append(on_message)
            if channel not in self._listening_on:
                self.listening.clear()  # the thread starts listening on it within WAIT_SEC
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="coord-listen", daemon=True)
                self._thread.start()

    def close(self, timeout: float = 3.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _channels(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._callbacks)

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=self.connect_timeout_sec) as conn:
                    backoff = 0.2
                    self._serve(conn)
            except psycopg.Error as exc:
                self.listening.clear()
                log.debug("notification listener: %s; reconnecting in %.1f s", type(exc).__name__, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_SEC)
            except Exception:  # never let the thread die: waiters would only poll
                self.listening.clear()
                log.exception("notification listener failed; restarting")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_SEC)

    def _serve(self, conn: psycopg.Connection[object]) -> None:
        listening: set[str] = set()
        while not self._stop.is_set():
            channels = self._channels()
            for channel in sorted(channels - listening):
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                listening.add(channel)
            with self._lock:
                self._listening_on = frozenset(listening)
                if channels <= listening:
                    self.listening.set()
            for notice in conn.notifies(timeout=WAIT_SEC):
                self._deliver(notice.channel, notice.payload)

    def _deliver(self, channel: str, payload: str) -> None:
        with self._lock:
            callbacks = list(self._callbacks.get(channel, ()))
        for callback in callbacks:
            try:
                callback(payload)
            except Exception:
                log.exception("a notification callback on %r failed", channel)
