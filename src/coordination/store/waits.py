"""One wait budget per request: every lock and database wait on the way to a transaction shares it.

A request that needs a repo's in-process lock, then the database's write lock,
then the database itself, waits at most `COORD_DB_BUSY_TIMEOUT_SEC` in total,
not that much at each step: the first bounded wait a thread enters starts the
budget, the nested ones spend what is left of it. When it runs out the wait
ends with `Unavailable` (503 with a reason), so a database held by another
process answers every request in bounded time instead of queueing them.

A call may also run "now or not at all" (`trying_now`): until it holds the
database's write lock, any wait it meets (a busy lock, another process's
transaction) raises `WouldWait` at once instead of waiting, and nothing has
been written yet. SQLite writes use it to run on the event loop when nothing
is in their way, and go to the writer thread when something is
(api/threads.py). Once the write lock is held (`holding_write_lock`) waits are
bounded as usual again: what follows is the call's own transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from coordination.errors import Unavailable

# COORD_DB_BUSY_TIMEOUT_SEC's default.
DEFAULT_BUSY_TIMEOUT_SEC = 5.0

_local = threading.local()


class WouldWait(Exception):
    """A call running `trying_now` met a wait before it wrote anything; run it where waiting is fine."""


@contextmanager
def trying_now(seconds: float) -> Iterator[None]:
    """Run the block with a budget of `seconds`, raising `WouldWait` at the first wait met
    before the database's write lock is held."""
    begin(seconds)
    _local.now_only = True
    try:
        yield
    finally:
        _local.now_only = False
        end()


def must_not_wait() -> bool:
    """Is this thread trying a call now, and not yet holding the database's write lock?"""
    return bool(getattr(_local, "now_only", False))


def holding_write_lock() -> None:
    """The call holds the database's write lock: from here on it waits as any call does."""
    _local.now_only = False


def begin(seconds: float) -> None:
    """Enter a bounded wait; the outermost one on this thread starts the budget."""
    depth = getattr(_local, "depth", 0)
    if depth == 0:
        _local.deadline = time.monotonic() + seconds
    _local.depth = depth + 1


def end() -> None:
    _local.depth = getattr(_local, "depth", 1) - 1


def remaining(seconds: float) -> float:
    """Seconds left of this thread's budget (`seconds` when no budget is running)."""
    if getattr(_local, "depth", 0) == 0:
        return seconds
    return max(0.0, float(_local.deadline) - time.monotonic())


class WaitLock:
    """A mutex whose acquire gives up when the request's wait budget runs out.

    `with lock:` raises `Unavailable` instead of waiting behind a holder that
    is itself stuck (for example on a database another process keeps locked).
    """

    def __init__(self, timeout_sec: float, waiting_for: str) -> None:
        self.timeout_sec = timeout_sec
        self.waiting_for = waiting_for
        self._lock = threading.Lock()

    def __enter__(self) -> WaitLock:
        now_only = must_not_wait()
        begin(self.timeout_sec)
        if not self._lock.acquire(timeout=0 if now_only else remaining(self.timeout_sec)):
            end()
            if now_only:
                raise WouldWait(self.waiting_for)
            raise Unavailable(
                f"gave up after {self.timeout_sec:g}s waiting for {self.waiting_for} "
                "(COORD_DB_BUSY_TIMEOUT_SEC); the database may be locked or slow; retry shortly"
            )
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._lock.release()
        end()

    def locked(self) -> bool:
        return self._lock.locked()
