"""The claim queue across real server processes sharing one database."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.audit_check import fences_increase, violations
from tests.support.server import Server, start_replicas

pytestmark = pytest.mark.integration

REPO = "queue/repo"
ALEX, BOB = "alex/claude/1", "bob/codex/1"


@pytest.fixture(params=["sqlite", "postgres"])
def two_servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Server]]:
    env = {"COORD_DISABLE_INSTANCE_LOCK": "1", "COORD_CLEANUP_INTERVAL_SEC": "1"}
    with start_replicas(tmp_path, env, request.param) as servers:
        yield servers


def claim(client: httpx.Client, engineer: str, *patterns: str, **extra: Any) -> httpx.Response:
    body = {"engineer": engineer, "repo_id": REPO, "claims": [{"pattern": p} for p in patterns], **extra}
    return client.post("/claims", json=body, timeout=float(extra.get("wait_seconds", 0)) + 30)


def test_waiter_on_one_server_is_granted_when_the_holder_releases_on_the_other(two_servers: list[Server]) -> None:
    a, b = two_servers
    with a.client() as on_a, b.client() as on_b:
        held = claim(on_b, ALEX, "src/a.ts").json()["claims"][0]
        out: dict[str, Any] = {}
        waiter = threading.Thread(target=lambda: out.update(r=claim(on_a, BOB, "src/a.ts", wait_seconds=60)))
        waiter.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            entries = on_b.get("/requests", params={"queued": "true", "repo_id": REPO}).json()["queue"]
            if entries:
                break
            time.sleep(0.02)
        assert entries and entries[0]["engineer"] == BOB and entries[0]["blocking"][0]["engineer"] == ALEX
        released = time.monotonic()
        assert on_b.delete(f"/claims/{held['id']}", params={"engineer": ALEX}).status_code == 200
        waiter.join(15)
        granted_after = time.monotonic() - released
        resp = out["r"]
        assert resp.status_code == 200, resp.text
        assert resp.json()["claims"][0]["engineer"] == BOB
        assert granted_after < 1.5, granted_after  # the waiter polls its row every 0.5 s


WAITERS = 6
ROUNDS = 4
PATTERNS = ["src/a.ts", "src/*.ts", "src/**", "lib/x.ts", "{src,lib}/shared.ts", "lib/**"]


def waiting_client(server: Server, engineer: str, seed: int, counts: dict[str, int], lock: threading.Lock) -> None:
    rng = random.Random(seed)
    with server.client() as client:
        for _ in range(ROUNDS):
            patterns = rng.sample(PATTERNS, rng.choice([1, 1, 2]))
            resp = claim(
                client,
                engineer,
                *patterns,
                wait_seconds=rng.choice([1, 2, 4]),
                urgency=rng.choice(["low", "normal", "high", "blocking"]),
                ttl_hours=rng.choice([0.0003, 0.01]),
            )
            with lock:
                counts[str(resp.status_code)] = counts.get(str(resp.status_code), 0) + 1
            if resp.status_code == 200:
                time.sleep(rng.random() * 0.2)  # hold the claim a moment (some expire by TTL)
                if rng.random() < 0.7:
                    for c in resp.json()["claims"]:
                        client.delete(f"/claims/{c['id']}", params={"engineer": engineer})


def test_concurrent_waiters_never_hold_overlapping_claims(two_servers: list[Server]) -> None:
    counts: dict[str, int] = {}
    lock = threading.Lock()
    threads = [
        threading.Thread(
            target=waiting_client, args=(two_servers[i % 2], f"eng{i}/agent/1", i, counts, lock), daemon=True
        )
        for i in range(WAITERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert set(counts) <= {"200", "409"}, counts
    with two_servers[0].client() as client:
        events = client.get("/events", params={"repo_id": REPO, "limit": 100000}).json()["events"]
        claims = client.get("/claims", params={"repo_id": REPO, "active": False, "limit": 10000}).json()["claims"]
    queue_grants = [e for e in events if e["event_type"] == "queue_grant"]
    assert queue_grants, counts  # the queue really granted some
    assert len([e for e in events if e["event_type"] == "grant"]) == len(claims)
    assert violations(events, claims) == []
    assert fences_increase(events)
