"""The claim queue over HTTP, in process: long-poll, list, cancel."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

ALEX, BOB, CAROL = "alex/claude/1", "bob/codex/1", "carol/cursor/1"
REPO = "org/app"


def claim(client: TestClient, engineer: str, pattern: str, **extra: object) -> httpx.Response:
    body = {"engineer": engineer, "repo_id": REPO, "claims": [{"type": "file", "pattern": pattern}], **extra}
    return client.post("/claims", json=body)


def in_background(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        out["response"] = fn()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def queued(client: TestClient, **params: str) -> list[dict[str, Any]]:
    resp = client.get("/requests", params={"queued": "true", **params})
    assert resp.status_code == 200, resp.text
    return list(resp.json()["queue"])


def wait_for_queue(client: TestClient, n: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = queued(client, repo_id=REPO)
        if len(entries) >= n:
            return entries
        time.sleep(0.02)
    raise AssertionError("nobody joined the queue")


def test_a_waiting_claim_is_granted_when_the_holder_releases(client: TestClient) -> None:
    held = claim(client, ALEX, "src/a.ts").json()["claims"][0]
    thread, out = in_background(lambda: claim(client, BOB, "src/a.ts", wait_seconds=30, urgency="high"))
    (entry,) = wait_for_queue(client)
    assert entry["engineer"] == BOB and entry["urgency"] == "high" and entry["state"] == "waiting"
    assert entry["blocking"][0]["engineer"] == ALEX and entry["blocking"][0]["pattern"] == "src/a.ts"
    assert entry["claims"] == [{"type": "file", "pattern": "src/a.ts", "symbols": []}]
    assert queued(client, engineer=CAROL) == []
    assert client.delete(f"/claims/{held['id']}", params={"engineer": ALEX}).status_code == 200
    thread.join(10)
    resp = out["response"]
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["claims"][0]["engineer"] == BOB and body["decisions"][0]["outcome"] == "GRANT"
    assert body["queue"]["id"] == entry["id"] and body["queue"]["waited_sec"] >= 0
    kinds = [e["event_type"] for e in client.get("/events", params={"repo_id": REPO}).json()["events"]]
    assert "queue_wait" in kinds and "queue_grant" in kinds


def test_a_free_claim_with_wait_is_granted_at_once(client: TestClient) -> None:
    resp = claim(client, BOB, "src/a.ts", wait_seconds=30)
    assert resp.status_code == 200 and resp.json().get("queue") is None


def test_the_wait_ends_with_409_and_an_expired_entry(client: TestClient) -> None:
    held = claim(client, ALEX, "src/a.ts").json()["claims"][0]
    resp = claim(client, BOB, "src/a.ts", wait_seconds=0.3)
    assert resp.status_code == 409, resp.text
    body = resp.json()
    assert body["queue"]["state"] == "expired"
    assert body["conflicts"][0]["claim_id"] == held["id"] and body["suggestion"]
    client.delete(f"/claims/{held['id']}", params={"engineer": ALEX})
    assert client.get("/claims", params={"repo_id": REPO, "engineer": BOB}).json()["claims"] == []


def test_cancel_wakes_the_waiter_with_409(client: TestClient) -> None:
    claim(client, ALEX, "src/a.ts")
    thread, out = in_background(lambda: claim(client, BOB, "src/a.ts", wait_seconds=30))
    (entry,) = wait_for_queue(client)
    qid = entry["id"]
    assert client.delete(f"/requests/{qid}", params={"engineer": CAROL}).status_code == 403
    assert client.delete(f"/requests/{qid + 1000}", params={"engineer": BOB}).status_code == 404
    assert client.delete(f"/requests/{qid}").status_code == 400  # engineer is required
    started = time.monotonic()
    resp = client.delete(f"/requests/{qid}", params={"engineer": BOB})
    assert resp.status_code == 200 and resp.json()["state"] == "cancelled"
    thread.join(10)
    assert time.monotonic() - started < 5
    waited = out["response"]
    assert waited.status_code == 409 and waited.json()["queue"] == {"id": qid, "state": "cancelled"}
    again = client.delete(f"/requests/{qid}", params={"engineer": BOB})
    assert again.status_code == 409
    assert queued(client, repo_id=REPO) == []


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"wait_seconds": 901}, "wait_seconds"),
        ({"wait_seconds": "soon"}, "wait_seconds"),
        ({"wait_seconds": 5, "urgency": "now"}, "urgency"),
    ],
)
def test_bad_wait_is_400_before_queueing(client: TestClient, extra: dict, reason: str) -> None:
    claim(client, ALEX, "src/a.ts")
    resp = claim(client, BOB, "src/a.ts", **extra)
    assert resp.status_code == 400 and reason in resp.json()["detail"]
    assert queued(client) == []


def test_queued_listing_rejects_release_request_filters(client: TestClient) -> None:
    resp = client.get("/requests", params={"queued": "true", "role": "holder", "engineer": BOB})
    assert resp.status_code == 400
    assert client.get("/requests", params={"queued": "maybe"}).status_code == 400
    # Without queued=true the route still lists release requests.
    assert client.get("/requests").json() == {"requests": [], "next_cursor": None}
