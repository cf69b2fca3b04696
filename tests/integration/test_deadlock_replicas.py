"""Deadlock detection across two server processes sharing one database (SQLite and PostgreSQL).

The wait-for graph is read from the store in the write transaction that would
queue the waiter, so a cycle is refused whichever replica each half goes to,
and two halves sent at the same moment to different replicas never both queue.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.invariant import assert_server_exclusive
from tests.support.server import Server, start_replicas

pytestmark = pytest.mark.integration

ALEX, BOB, CAROL = "alex/claude/main", "bob/codex/main", "carol/cursor/main"
CAP = 2.0


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def replicas(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Two replicas per store for the whole module; each test works in repos of its own."""
    env = {
        "COORD_DISABLE_INSTANCE_LOCK": "true",
        "COORD_DISABLE_BACKGROUND_CLEANUP": "true",
        "COORD_MAX_CALL_WAIT_SEC": str(CAP),
        "COORD_QUEUE_WAITER_LEASE_SEC": "30",
    }
    with start_replicas(tmp_path_factory.mktemp("deadlock-replicas"), env, request.param) as servers:
        yield servers


def claim(http: httpx.Client, repo: str, engineer: str, pattern: str, **extra: Any) -> httpx.Response:
    body = {"engineer": engineer, "repo_id": repo, "claims": [{"pattern": pattern}], **extra}
    return http.post("/claims", json=body, timeout=CAP + 30)


def hold(http: httpx.Client, repo: str, engineer: str, pattern: str) -> int:
    resp = claim(http, repo, engineer, pattern)
    assert resp.status_code == 200, resp.text
    return int(resp.json()["claims"][0]["id"])


def queued(http: httpx.Client, repo: str, engineer: str, pattern: str) -> int:
    resp = claim(http, repo, engineer, pattern, wait_seconds=120)
    assert resp.status_code == 202, resp.text  # the call's share ended; the entry still waits
    assert resp.json()["queue"]["state"] == "waiting"
    return int(resp.json()["queue"]["id"])


def waiting(http: httpx.Client, repo: str) -> list[int]:
    return [e["id"] for e in http.get("/queue", params={"repo_id": repo}).json()["queue"]]


def test_two_engineers_on_two_replicas(replicas: list[Server]) -> None:
    a, b = replicas
    repo = "acme/deadlock-2"
    with a.client() as on_a, b.client() as on_b:
        x, y = hold(on_a, repo, ALEX, "src/x.py"), hold(on_b, repo, BOB, "src/y.py")
        qa = queued(on_a, repo, ALEX, "src/y.py")
        refused = claim(on_b, repo, BOB, "src/x.py", wait_seconds=120)
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["error"] == "deadlock" and body["engineers"] == [BOB, ALEX]
        assert [(s["engineer"], s["queue_id"], s["claim_id"], s["pattern"]) for s in body["cycle"]] == [
            (BOB, None, x, "src/x.py"),
            (ALEX, qa, y, "src/y.py"),
        ]
        assert body["suggestion"].startswith(f"{BOB}: release claim #{y} (src/y.py)")
        assert body["conflicts"][0]["claim_id"] == x
        assert waiting(on_b, repo) == [qa]
        # following the suggestion frees alex's wait
        assert on_b.delete(f"/claims/{y}", params={"engineer": BOB}).json() == {"released": [y]}
        assert on_a.get(f"/queue/{qa}").json()["state"] == "granted"
        events = [e["event_type"] for e in on_a.get("/events", params={"repo_id": repo}).json()["events"]]
        assert "deadlock" in events
    for s in replicas:
        with s.client() as http:
            assert_server_exclusive(http, repo)


def test_three_engineers_on_two_replicas(replicas: list[Server]) -> None:
    a, b = replicas
    repo = "acme/deadlock-3"
    with a.client() as on_a, b.client() as on_b:
        x = hold(on_a, repo, ALEX, "src/x.py")
        y = hold(on_b, repo, BOB, "src/y.py")
        z = hold(on_a, repo, CAROL, "src/z.py")
        qa = queued(on_a, repo, ALEX, "src/y.py")  # alex -> bob
        qb = queued(on_b, repo, BOB, "src/z.py")  # bob -> carol
        refused = claim(on_b, repo, CAROL, "src/x.py", wait_seconds=120)  # carol -> alex closes the ring
        assert refused.status_code == 409 and refused.json()["error"] == "deadlock", refused.text
        body = refused.json()
        assert body["engineers"] == [CAROL, ALEX, BOB]
        assert [(s["queue_id"], s["claim_id"]) for s in body["cycle"]] == [(None, x), (qa, y), (qb, z)]
        assert f"{CAROL}: release claim #{z}" in body["suggestion"]
        assert sorted(waiting(on_a, repo)) == [qa, qb]
    for s in replicas:
        with s.client() as http:
            assert_server_exclusive(http, repo)


def test_two_halves_sent_at_once_to_two_replicas_never_both_queue(replicas: list[Server]) -> None:
    a, b = replicas
    for round_ in range(3):
        repo = f"acme/deadlock-race-{round_}"
        with a.client() as on_a, b.client() as on_b:
            hold(on_a, repo, ALEX, "src/x.py")
            hold(on_b, repo, BOB, "src/y.py")
            start = threading.Barrier(2)
            answers: dict[str, httpx.Response] = {}

            def ask(http: httpx.Client, who: str, pattern: str) -> None:
                start.wait()
                answers[who] = claim(http, repo, who, pattern, wait_seconds=120)

            threads = [
                threading.Thread(target=ask, args=(on_a, ALEX, "src/y.py")),
                threading.Thread(target=ask, args=(on_b, BOB, "src/x.py")),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            statuses = sorted(r.status_code for r in answers.values())
            assert statuses == [202, 409], {k: v.text for k, v in answers.items()}
            refused = next(r for r in answers.values() if r.status_code == 409)
            assert refused.json()["error"] == "deadlock"
            assert len(waiting(on_a, repo)) == 1
