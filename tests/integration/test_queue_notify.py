"""PostgreSQL replicas wake each other's queue waiters with LISTEN/NOTIFY, not by polling.

Two real servers share one database with the waiters' poll set far above the time a grant
may take (`COORD_QUEUE_POLL_SEC=5`): a waiter on one server is granted within well under
that after the holder releases on the other, so the grant reached it as a notification.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.audit_check import fences_increase, violations
from tests.support.invariant import assert_server_exclusive
from tests.support.server import Server, start_replicas

pytestmark = pytest.mark.integration

REPO = "notify/repo"
ALEX, BOB = "alex/claude/1", "bob/codex/1"
POLL_SEC = 5.0


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[list[Server]]:
    env = {
        "COORD_QUEUE_POLL_SEC": str(POLL_SEC),
        # The waiter also wakes to renew its lease (every third of it): keep that past the poll too.
        "COORD_QUEUE_WAITER_LEASE_SEC": "30",
        "COORD_DISABLE_BACKGROUND_CLEANUP": "1",
    }
    with start_replicas(tmp_path, env, "postgres") as servers:
        yield servers


def claim(client: httpx.Client, engineer: str, pattern: str, **extra: Any) -> httpx.Response:
    body = {"engineer": engineer, "repo_id": REPO, "claims": [{"pattern": pattern}], **extra}
    return client.post("/claims", json=body, timeout=float(extra.get("wait_seconds", 0)) + 30)


def queued(client: httpx.Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get("/requests", params={"queued": "true", "repo_id": REPO}).json()["queue"]
    return entries


def wait_until_queued(client: httpx.Client, count: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(queued(client)) < count:
        time.sleep(0.02)
    assert len(queued(client)) >= count


def test_release_on_one_replica_wakes_the_waiter_on_the_other_at_once(replicas: list[Server]) -> None:
    a, b = replicas
    with a.client() as on_a, b.client() as on_b:
        for round_ in range(3):
            pattern = f"src/r{round_}.ts"
            held = claim(on_b, ALEX, pattern).json()["claims"][0]
            out: dict[str, Any] = {}
            waiter = threading.Thread(target=lambda p=pattern: out.update(r=claim(on_a, BOB, p, wait_seconds=60)))
            waiter.start()
            wait_until_queued(on_b, 1)
            time.sleep(0.3)  # the waiter is asleep in its poll, not between two reads
            released = time.monotonic()
            assert on_b.delete(f"/claims/{held['id']}", params={"engineer": ALEX}).status_code == 200
            waiter.join(POLL_SEC * 3)
            granted_after = time.monotonic() - released
            resp = out["r"]
            assert resp.status_code == 200, resp.text
            granted = resp.json()["claims"][0]
            assert granted["engineer"] == BOB and granted["pattern"] == pattern
            # A poll would have taken up to 5 s; the notification takes a round trip or two.
            assert granted_after < 2.0, (round_, granted_after)
            assert on_a.delete(f"/claims/{granted['id']}", params={"engineer": BOB}).status_code == 200
        assert_server_exclusive(on_a, repo_id=REPO)
        events = on_a.get("/events", params={"repo_id": REPO, "limit": 10000}).json()["events"]
        claims = on_a.get("/claims", params={"repo_id": REPO, "active": False, "limit": 10000}).json()["claims"]
        assert len([e for e in events if e["event_type"] == "queue_grant"]) == 3
        assert violations(events, claims) == []
        assert fences_increase(events)


def test_cancel_on_one_replica_ends_the_wait_on_the_other_at_once(replicas: list[Server]) -> None:
    a, b = replicas
    with a.client() as on_a, b.client() as on_b:
        claim(on_b, ALEX, "src/c.ts").raise_for_status()
        out: dict[str, Any] = {}
        waiter = threading.Thread(target=lambda: out.update(r=claim(on_a, BOB, "src/c.ts", wait_seconds=60)))
        waiter.start()
        wait_until_queued(on_b, 1)
        entry = queued(on_b)[0]
        time.sleep(0.3)
        cancelled = time.monotonic()
        assert on_b.delete(f"/queue/{entry['id']}", params={"engineer": BOB}).status_code == 200
        waiter.join(POLL_SEC * 3)
        assert time.monotonic() - cancelled < 2.0
        assert out["r"].status_code == 409, out["r"].text
        assert_server_exclusive(on_a, repo_id=REPO)
