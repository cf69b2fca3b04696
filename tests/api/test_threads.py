"""The threads of a request: SQLite's writer thread (api/threads.py) and the app that runs it."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coordination.api import threads
from coordination.api.app import create_app
from coordination.errors import Invalid, Unavailable
from tests.api.conftest import AUTH
from tests.conftest import migrated_settings
from tests.support.invariant import assert_server_exclusive


def test_writes_run_in_arrival_order_in_one_thread() -> None:
    writer = threads.Writer(budget_sec=5.0)
    seen: list[tuple[int, str]] = []
    try:

        async def main() -> list[int]:
            def job(n: int) -> int:
                seen.append((n, threading.current_thread().name))
                return n * n

            return list(await asyncio.gather(*(writer.run(lambda n=n: job(n)) for n in range(20))))

        assert asyncio.run(main()) == [n * n for n in range(20)]
    finally:
        writer.stop()
    assert [n for n, _ in seen] == list(range(20))
    assert {name for _, name in seen} == {"coord-writer"}


def test_an_error_reaches_the_caller_and_the_thread_goes_on() -> None:
    writer = threads.Writer(budget_sec=5.0)

    def refuse() -> None:
        raise Invalid("no")

    async def main() -> int:
        with pytest.raises(Invalid):
            await writer.run(refuse)
        return await writer.run(lambda: 7)

    try:
        assert asyncio.run(main()) == 7
    finally:
        writer.stop()


def test_a_write_that_waited_past_the_budget_answers_503_without_running() -> None:
    writer = threads.Writer(budget_sec=0.2)
    ran: list[str] = []
    release = threading.Event()

    async def main() -> None:
        blocker = asyncio.ensure_future(writer.run(lambda: release.wait(5)))
        await asyncio.sleep(0.05)
        late = asyncio.ensure_future(writer.run(lambda: ran.append("late")))
        await asyncio.sleep(0.3)  # `late` has now waited in the queue longer than the budget
        release.set()
        await blocker
        with pytest.raises(Unavailable, match="COORD_DB_BUSY_TIMEOUT_SEC"):
            await late

    try:
        asyncio.run(main())
    finally:
        writer.stop()
    assert ran == []


def test_a_started_write_spends_what_the_queue_left_of_the_budget() -> None:
    from coordination.store import waits

    writer = threads.Writer(budget_sec=1.0)

    async def main() -> float:
        return await writer.run(lambda: waits.remaining(1.0))

    try:
        left = asyncio.run(main())
    finally:
        writer.stop()
    assert 0.0 < left <= 1.0


def test_a_write_whose_caller_left_before_it_started_never_runs() -> None:
    writer = threads.Writer(budget_sec=5.0)
    ran: list[str] = []
    release = threading.Event()

    async def main() -> None:
        blocker = asyncio.ensure_future(writer.run(lambda: release.wait(5)))
        await asyncio.sleep(0.05)
        gone = asyncio.ensure_future(writer.run(lambda: ran.append("gone")))
        await asyncio.sleep(0.05)
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        release.set()
        await blocker
        await writer.run(lambda: None)  # everything queued before this has been taken

    try:
        asyncio.run(main())
    finally:
        writer.stop()
    assert ran == []


def test_a_started_write_runs_to_its_end_when_its_caller_leaves() -> None:
    writer = threads.Writer(budget_sec=5.0)
    done: list[str] = []
    started = threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(0.2)
        done.append("done")

    async def main() -> None:
        call = asyncio.ensure_future(writer.run(slow))
        while not started.is_set():
            await asyncio.sleep(0.01)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert done == ["done"]  # the caller gave up only once the call had finished

    try:
        asyncio.run(main())
    finally:
        writer.stop()


def test_the_sqlite_app_runs_a_writer_for_its_lifespan_and_keeps_claims_exclusive(tmp_path: Path) -> None:
    app = create_app(migrated_settings(tmp_path))

    def writers() -> int:
        return sum(t.name == "coord-writer" for t in threading.enumerate())

    before = writers()
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers.update(AUTH)
        assert writers() == before + 1

        # Sixteen engineers at once on one file: one grant, fifteen 409s, never two holders.
        def claim(n: int) -> int:
            body = {"engineer": f"e{n}/agent/1", "repo_id": "r", "claims": [{"type": "file", "pattern": "src/a.py"}]}
            return client.post("/claims", json=body).status_code

        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(claim, range(16)))
        assert sorted(codes) == [200] + [409] * 15
        assert_server_exclusive(client, "r")

        held = client.get("/claims", params={"repo_id": "r"}).json()["claims"][0]
        released = client.delete(f"/claims/{held['id']}", params={"engineer": held["engineer"]})
        assert released.json() == {"released": [held["id"]]}
        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(claim, range(16)))
        assert sorted(codes) == [200] + [409] * 15
        assert_server_exclusive(client, "r")
    assert writers() == before  # stopped at shutdown


# ------------------------------------------------------------------ writes run now on the loop


class _Service:
    """Something to hang a writer on, as the app hangs one on its coordinator."""


def test_a_write_runs_on_the_loop_when_the_writer_has_nothing_to_do() -> None:
    service = _Service()
    writer = threads.start_writer(service, budget_sec=5.0)
    try:

        async def main() -> tuple[str, str]:
            here = threading.current_thread().name
            ran = await threads.write(service, lambda: threading.current_thread().name)
            return here, ran

        here, ran = asyncio.run(main())
    finally:
        threads.stop_writer(service)
    assert ran == here != "coord-writer"
    assert writer.idle()


def test_a_write_waits_for_the_one_the_writer_is_running_then_runs_on_the_loop() -> None:
    service = _Service()
    writer = threads.start_writer(service, budget_sec=5.0)
    release = threading.Event()
    order: list[tuple[str, str]] = []
    loop_thread: list[str] = []
    try:

        async def main() -> None:
            loop_thread.append(threading.current_thread().name)

            def first() -> None:
                release.wait(5)
                order.append(("first", threading.current_thread().name))

            blocker = asyncio.ensure_future(writer.run(first))
            await asyncio.sleep(0.05)
            assert not writer.idle()
            second = asyncio.ensure_future(
                threads.write(service, lambda: order.append(("second", threading.current_thread().name)))
            )
            await asyncio.sleep(0.05)
            assert order == []  # it did not overtake the running write
            release.set()
            await asyncio.gather(blocker, second)

        asyncio.run(main())
    finally:
        threads.stop_writer(service)
    # It did not join the thread's queue: under steady load that queue would never drain, and
    # every later write would take the thread too.
    assert order == [("first", "coord-writer"), ("second", loop_thread[0])]


def test_after_a_long_wait_the_writes_of_a_steady_load_go_back_to_the_loop() -> None:
    """One wait longer than the loop's tries sends a write to the thread. Writes that come
    while the thread has it wait for it and then run on the loop again: had they queued
    behind it, eight clients that never pause would have kept the thread busy, and every
    write on it, to the end of the run."""
    from coordination.store import waits

    service = _Service()
    threads.start_writer(service, budget_sec=5.0)
    blocked_until = 0.0  # until then the database's write lock is held elsewhere
    ran: list[tuple[int, str]] = []
    done = 0

    def write_one() -> None:
        left = blocked_until - time.monotonic()
        if left > 0:
            if waits.must_not_wait():
                raise waits.WouldWait("the database write lock")
            time.sleep(left)  # the thread waits for the lock
        ran.append((done, threading.current_thread().name))
        time.sleep(0.0002)

    async def client() -> None:
        nonlocal done, blocked_until
        while done < 1_500:
            await threads.write(service, write_one)
            done += 1
            if done == 200:
                # Longer than the loop's tries (threads.NOW_ATTEMPTS, about 30 ms): the
                # writes meeting it end up in the thread.
                blocked_until = time.monotonic() + 0.2

    async def main() -> None:
        await asyncio.wait_for(asyncio.gather(*(client() for _ in range(8))), 60)

    try:
        asyncio.run(main())
    finally:
        threads.stop_writer(service)
    assert any(name == "coord-writer" for _, name in ran)  # the long wait did reach the thread
    late = [name for n, name in ran if n >= 1_000]
    assert late and sum(name != "coord-writer" for name in late) >= 0.9 * len(late)


def test_a_write_that_meets_a_held_lock_waits_in_the_writer_and_the_loop_goes_on() -> None:
    from coordination.store import waits

    service = _Service()
    threads.start_writer(service, budget_sec=5.0)
    lock = waits.WaitLock(5.0, "a repo's other requests")
    holder_has_it, let_go = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            holder_has_it.set()
            let_go.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    holder_has_it.wait(5)
    ran: list[str] = []
    ticks = 0
    try:

        def guarded() -> str:
            with lock:
                ran.append(threading.current_thread().name)
                return "done"

        async def main() -> str:
            nonlocal ticks
            call = asyncio.ensure_future(threads.write(service, guarded))
            for _ in range(10):  # the loop keeps serving while the write waits for the lock
                await asyncio.sleep(0.02)
                ticks += 1
            let_go.set()
            return await call

        assert asyncio.run(main()) == "done"
    finally:
        let_go.set()
        holder.join(5)
        threads.stop_writer(service)
    assert ran == ["coord-writer"]  # run once, by the thread, once the lock was free
    assert ticks == 10


def test_a_write_blocked_by_another_process_runs_once_in_the_writer_after_it(tmp_path: Path) -> None:
    """Another connection (as another process would) holds the file's write lock: the write
    tried on the loop writes nothing, goes on to wait in the writer thread and commits once."""
    import sqlite3

    from coordination.store import open_store

    settings = migrated_settings(tmp_path)
    store = open_store(settings)
    service = _Service()
    threads.start_writer(service, budget_sec=5.0)
    other = sqlite3.connect(settings.database_path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    attempts: list[str] = []
    try:

        def bump() -> int:
            attempts.append(threading.current_thread().name)
            with store.write(None) as tx:
                tx.execute("INSERT INTO repo_state (repo_id, seq) VALUES ('threads/r', 1)")
                return int(tx.scalar("SELECT COUNT(*) AS n FROM repo_state WHERE repo_id = 'threads/r'"))

        async def main() -> int:
            call = asyncio.ensure_future(threads.write(service, bump))
            await asyncio.sleep(0.2)
            assert not call.done()
            other.execute("ROLLBACK")
            return await call

        assert asyncio.run(main()) == 1
    finally:
        other.close()
        threads.stop_writer(service)
    # Tried on the loop (for about 30 ms, threads.NOW_ATTEMPTS), then waited for in the thread.
    assert attempts[-1] == "coord-writer"
    assert 1 <= len(attempts) - 1 <= threads.NOW_ATTEMPTS and "coord-writer" not in attempts[:-1]
    with store.read() as tx:
        assert tx.scalar("SELECT COUNT(*) AS n FROM repo_state WHERE repo_id = 'threads/r'") == 1
    store.close()
