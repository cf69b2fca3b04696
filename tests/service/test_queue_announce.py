"""The claim queue's announcements: PostgreSQL's NOTIFY at commit, LISTEN in a background thread.

An announcement reaches the listeners of every process when, and only when, the
transaction that sent it commits; a process that never listens (or a lost
notification) still sees the grant by polling. SQLite announces nothing.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.service import ClaimRequest, Coordinator
from coordination.store import queue as queue_rows
from coordination.store.postgres import PostgresStore
from coordination.store.sqlite import SqliteStore
from tests.conftest import make_settings
from tests.support.invariant import assert_exclusive


def test_an_announcement_reaches_listeners_at_commit_and_never_after_a_rollback(pg_migrated_url: str) -> None:
    listening, writing = PostgresStore(pg_migrated_url), PostgresStore(pg_migrated_url)
    try:
        heard: queue.Queue[str] = queue.Queue()
        listening.listen(queue_rows.CHANNEL, heard.put)
        assert listening.listener is not None and listening.listener.listening.wait(10)
        with pytest.raises(RuntimeError), writing.write("notify/repo") as tx:
            queue_rows.announce(tx, 1)
            raise RuntimeError("rolled back")
        with writing.write("notify/repo") as tx:
            queue_rows.announce(tx, 2)
            time.sleep(0.3)
            assert heard.empty()  # not before the commit
        assert heard.get(timeout=10) == "2"
        time.sleep(0.3)
        assert heard.empty()
    finally:
        listening.close()
        writing.close()


def test_sqlite_announces_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "coord.db")
    store.migrate()
    heard: list[str] = []
    store.listen(queue_rows.CHANNEL, heard.append)
    with store.write("r") as tx:
        queue_rows.announce(tx, 1)
    assert heard == []
    store.close()


def _request(engineer: str, wait: float = 0) -> ClaimRequest:
    return ClaimRequest(
        engineer=engineer, repo_id="notify/repo", items=[ClaimItem(ClaimType.FILE, "src/a.ts", ())], wait_seconds=wait
    )


@pytest.mark.parametrize("listens", [True, False])
def test_a_grant_on_one_replica_reaches_a_waiter_on_another(
    tmp_path: Path, pg_migrated_url: str, listens: bool
) -> None:
    """Two coordinators on one database stand for two replicas; without the listener (a lost
    notification) the waiter's poll still finds the grant, only later."""
    poll = 2.0
    settings = make_settings(tmp_path, database_url=pg_migrated_url, queue_poll_sec=poll, queue_waiter_lease_sec=30)
    here, there = (
        Coordinator(settings, PostgresStore(pg_migrated_url)),
        Coordinator(settings, PostgresStore(pg_migrated_url)),
    )
    try:
        if listens:
            here.queue.listen()
            listener = getattr(here.store, "listener", None)
            assert listener is not None and listener.listening.wait(10)
        held = there.claim(_request("alex/claude/1")).claims[0]
        out: dict[str, object] = {}
        waiter = threading.Thread(target=lambda: out.update(r=here.claim(_request("bob/codex/1", wait=30))))
        waiter.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not there.queue.list(repo_id="notify/repo"):
            time.sleep(0.02)
        time.sleep(0.3)
        released = time.monotonic()
        there.release(held.id, "alex/claude/1")
        waiter.join(poll * 4)
        took = time.monotonic() - released
        result = out["r"]
        assert [c.engineer for c in result.claims] == ["bob/codex/1"]  # type: ignore[attr-defined]
        assert took < (1.0 if listens else poll * 2.5), took
        if not listens:
            assert took > 0.2, took  # it waited for its poll
        assert_exclusive([c.as_json() for c in there.list_claims(repo_id="notify/repo")])
    finally:
        here.store.close()
        there.store.close()
