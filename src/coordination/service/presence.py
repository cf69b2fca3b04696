"""Whether the caller of a long wait is still there (the claim queue's waiters)."""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Presence"]


class Presence:
    """Whether the caller of a long wait is still there.

    A front door creates one per waiting call and calls `leave()` when its caller
    goes away (the HTTP connection closed); the wait then ends its entry.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gone = False
        self.reason = ""
        self._listeners: list[Callable[[], None]] = []

    @property
    def gone(self) -> bool:
        return self._gone

    def leave(self, reason: str = "the caller went away") -> None:
        with self._lock:
            if self._gone:
                return
            self.reason, self._gone = reason, True
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def on_leave(self, listener: Callable[[], None]) -> None:
        with self._lock:
            if not self._gone:
                self._listeners.append(listener)
                return
        listener()
