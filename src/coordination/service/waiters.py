"""This process's queue waiters: one wake-up event per waiting entry, the cap on waiters,
the stopping flag, and when their leases are due for renewal."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from coordination.errors import Unavailable

__all__ = ["Waiters"]


class Waiters:
    def __init__(self, max_waiters: int, lease_sec: float) -> None:
        self.max_waiters = max_waiters
        self.lease_sec = lease_sec
        self._events: dict[int, threading.Event] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, max_waiters))
        self._last_renew = 0.0
        # Why waiting stopped (the server is stopping), or None while waiters are served.
        self.stopping: str | None = None

    @contextmanager
    def slot(self, retry: str) -> Iterator[None]:
        """A place for one more waiter of this process, held for the block; 503 (`Unavailable`)
        while the server is stopping or when all are taken (`retry` tells the caller what to do)."""
        if self.stopping is not None:
            raise Unavailable(self.stopping)
        if not self._slots.acquire(blocking=False):
            raise Unavailable(
                f"this server already has {self.max_waiters} waiting claim requests (COORD_QUEUE_MAX_WAITERS); {retry}"
            )
        try:
            yield
        finally:
            self._slots.release()

    def register(self, queue_id: int) -> threading.Event:
        with self._lock:
            event = self._events.get(queue_id)
            if event is None:
                event = self._events[queue_id] = threading.Event()
            return event

    def forget(self, queue_id: int) -> None:
        with self._lock:
            self._events.pop(queue_id, None)

    def wake(self, queue_id: int) -> None:
        with self._lock:
            event = self._events.get(queue_id)
        if event is not None:
            event.set()

    def stop(self, reason: str) -> None:
        """Every waiter wakes and ends its entry (the server is stopping)."""
        with self._lock:
            self.stopping = reason
            events = list(self._events.values())
        for event in events:
            event.set()

    def resume(self) -> None:
        with self._lock:
            self.stopping = None

    def drain(self, timeout: float) -> None:
        """Wait (bounded) until every waiter has ended its entry."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._events:
                    return
            time.sleep(0.02)

    def due_for_renewal(self) -> list[int]:
        """The entries waited on, at most once every third of a lease; [] in between."""
        with self._lock:
            if time.monotonic() - self._last_renew < self.lease_sec / 3:
                return []
            self._last_renew = time.monotonic()
            return sorted(self._events)
