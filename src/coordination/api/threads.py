"""The one hop of a request to a worker thread.

Routes and dependencies are `async def`, so FastAPI runs them on the event loop
without a thread hop of its own. Everything that may block (the store, `git`,
locks) is one call to the service, and a route sends that call to a thread
once: one hop per request, not one per dependency, endpoint and response
validation.

- `offload(call, ...)`: a read, or anything that is not a write of claims, in
  anyio's worker threads (the pool FastAPI uses for sync routes; its size is set
  in the app's lifespan).
- `write(service, call, ...)`: a write. On SQLite (one writer for the whole
  file) the app runs one `Writer` thread that takes the writes in arrival order,
  as they would have taken the file's write lock: no thread per waiting writer,
  no lock hand-offs between them. Elsewhere (PostgreSQL: writers of different
  repos run in parallel) a write is an `offload`.

A SQLite write runs on the event loop itself when the writer thread has
nothing queued and nothing is in its way (`waits.trying_now`): its locks are
free and the file's write lock is not held by another process. Such a write is
a fraction of a millisecond of work that holds the GIL for most of it anyway,
and sending it to a thread costs more than running it: the hand-off, and a
wait for the GIL at each statement while the loop serves other requests
(measured: 0.95 ms of server CPU per claim or release through the thread,
0.70 ms on the loop; docs/architecture.md). The first wait it meets raises
`WouldWait` before anything is written; the write tries again on the loop for a
moment (a checkpoint's RESTART is over in milliseconds), and only then goes to the
thread, which waits as before.

A write that finds the thread busy waits for the writes already queued there to
finish, and then runs on the loop too: it does not overtake them, and it does not
join them. Joining them kept the writes on the thread for as long as the load kept
its queue from emptying, at the thread's slower pace: 16 busy clients, the database's
write lock held by another process for 0.3 s once, and 1,432 writes went through the
thread before the loop had them again; waiting for the queue instead, 16 did.

A call is never abandoned half-way: once started it runs to the end, as a sync
route's would. A write still queued when its caller goes away never starts, and
a write that waited in the queue longer than the wait budget
(COORD_DB_BUSY_TIMEOUT_SEC) answers 503 without starting; one that starts spends
what is left of the budget on the locks and the database (`store.waits`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import queue
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread

from coordination.errors import Unavailable
from coordination.store import waits

P = ParamSpec("P")
T = TypeVar("T")


async def offload(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`call(*args, **kwargs)` in a worker thread; the request's one hop."""
    if kwargs:
        return await anyio.to_thread.run_sync(functools.partial(call, *args, **kwargs))
    return await anyio.to_thread.run_sync(call, *args)


# A SQLite write that meets a wait tries again on the loop every NOW_RETRY_SEC, up to
# NOW_ATTEMPTS times (about 30 ms in all), before it queues for the writer thread.
NOW_ATTEMPTS = 60
NOW_RETRY_SEC = 0.0005

_Job = tuple["concurrent.futures.Future[Any]", Callable[[], Any], float]


class Writer:
    """One thread running write calls in arrival order (a SQLite database's writes)."""

    def __init__(self, budget_sec: float, name: str = "coord-writer") -> None:
        self.budget_sec = budget_sec
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._running = False
        self._last: concurrent.futures.Future[Any] | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, call: Callable[[], T], since: float | None = None) -> concurrent.futures.Future[T]:
        """Queue `call`; its wait budget runs from `since` (monotonic; default: now)."""
        job: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((job, call, time.monotonic() if since is None else since))
        self._last = job
        return job

    def idle(self) -> bool:
        """Nothing queued and nothing running: a write now would not overtake another."""
        return not self._running and self._jobs.empty()

    async def drained(self, since: float) -> None:
        """Wait until the writes submitted so far have ended, within what is left of a wait
        budget that started at `since` (monotonic); `Unavailable` when it runs out.

        Writes are submitted from the event loop only (`write`), and the thread runs
        them in order, so the last one submitted ending means all of them have."""
        last = self._last
        if last is None or last.done():
            return
        left = self.budget_sec - (time.monotonic() - since)
        if left <= 0 or not (await asyncio.wait([asyncio.wrap_future(last)], timeout=left))[0]:
            raise self._gave_up()

    def _gave_up(self) -> Unavailable:
        return Unavailable(
            f"gave up after {self.budget_sec:g}s waiting for the database writer (COORD_DB_BUSY_TIMEOUT_SEC); "
            "the database may be locked or slow; retry shortly"
        )

    def run_now(self, call: Callable[[], T]) -> T:
        """`call()` on this (the loop's) thread if it meets no wait; `waits.WouldWait` if it would."""
        with waits.trying_now(self.budget_sec):
            return call()

    async def run(self, call: Callable[[], T], since: float | None = None) -> T:
        job = self.submit(call, since)
        try:
            return await asyncio.wrap_future(job)
        except asyncio.CancelledError:
            # Not started: it never will be (the future is cancelled). Started: let it finish, as a
            # sync route's call would, and only then give up.
            if not job.cancel():
                await asyncio.shield(asyncio.wrap_future(job))
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the writes already queued, then end the thread."""
        self._jobs.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, call, queued = item
            if not job.set_running_or_notify_cancel():
                continue  # its caller went away before it started
            self._running = True
            try:
                result = self._call(call, queued)
            except BaseException as exc:  # the caller's to handle, as if it had run the call itself
                job.set_exception(exc)
            else:
                job.set_result(result)
            finally:
                self._running = False

    def _call(self, call: Callable[[], T], queued: float) -> T:
        left = self.budget_sec - (time.monotonic() - queued)
        if left <= 0:
            raise self._gave_up()
        waits.begin(left)  # the locks and the database get what the queue left of the budget
        try:
            return call()
        finally:
            waits.end()


_writers: weakref.WeakKeyDictionary[object, Writer] = weakref.WeakKeyDictionary()


def start_writer(service: object, budget_sec: float) -> Writer:
    """Run `service`'s writes (`write(service, ...)`) in one thread of their own until `stop_writer`."""
    writer = _writers.get(service)
    if writer is None:
        writer = _writers[service] = Writer(budget_sec)
    return writer


def stop_writer(service: object) -> None:
    writer = _writers.pop(service, None)
    if writer is not None:
        writer.stop()


async def write(service: object, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`call(*args, **kwargs)`, a write: in `service`'s writer thread if it has one, else as `offload`."""
    writer = _writers.get(service)
    if writer is None:
        return await offload(call, *args, **kwargs)
    bound = functools.partial(call, *args, **kwargs)
    # One wait budget for the whole write: the tries here, the wait for the thread's writes,
    # and the thread, so writes behind a locked database all answer within it.
    arrived = time.monotonic()
    for _ in range(NOW_ATTEMPTS):
        # The writes the thread already has go first; this one then runs here (the module
        # docstring says why it does not queue behind them).
        await writer.drained(arrived)
        try:
            return writer.run_now(bound)
        except waits.WouldWait:
            # Nothing was written. A short hold (the WAL checkpoint's RESTART, a sweep's
            # transaction) is over in a moment: try again soon, serving others meanwhile,
            # rather than queue for the thread, where every write behind this one would follow.
            await asyncio.sleep(NOW_RETRY_SEC)
    return await writer.run(bound, arrived)
