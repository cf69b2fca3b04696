"""The claim queue as its own resource (`/queue`), and pagination of the queue and of release requests."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_pagination import next_link
from tests.support.invariant import assert_exclusive

ALEX, BOB, CAROL, DAN = "alex/claude/1", "bob/codex/1", "carol/cursor/1", "dan/claude/2"
REPO = "org/app"


def claim(client: TestClient, engineer: str, pattern: str, **extra: object) -> Any:
    body = {"engineer": engineer, "repo_id": REPO, "claims": [{"type": "file", "pattern": pattern}], **extra}
    return client.post("/claims", json=body)


def wait_in_background(client: TestClient, engineer: str, pattern: str, **extra: object) -> threading.Thread:
    thread = threading.Thread(target=lambda: claim(client, engineer, pattern, wait_seconds=30, **extra), daemon=True)
    thread.start()
    return thread


def waiting(client: TestClient, n: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = client.get("/queue", params={"repo_id": REPO}).json()["queue"]
        if len(entries) >= n:
            return list(entries)
        time.sleep(0.02)
    raise AssertionError(f"fewer than {n} waiters joined the queue")


def test_queue_lists_reads_and_cancels_entries(client: TestClient) -> None:
    held = claim(client, ALEX, "src/a.ts").json()["claims"][0]
    threads = [wait_in_background(client, BOB, "src/a.ts")]
    waiting(client, 1)
    threads.append(wait_in_background(client, CAROL, "src/a.ts", urgency="blocking"))
    entries = waiting(client, 2)
    # Arrival order in the list; queue order in `place` (the blocking waiter goes first).
    assert [e["engineer"] for e in entries] == [BOB, CAROL]
    assert {e["engineer"]: e["place"] for e in entries} == {CAROL: 1, BOB: 2}
    assert entries[0]["blocking"][0]["engineer"] == ALEX
    bob = entries[0]
    one = client.get(f"/queue/{bob['id']}")
    assert one.status_code == 200 and one.json()["state"] == "waiting"
    assert client.get("/queue/999999").status_code == 404
    # Only the engineer who queued cancels it, on the queue's own path.
    assert client.delete(f"/queue/{bob['id']}", params={"engineer": CAROL}).status_code == 403
    cancelled = client.delete(f"/queue/{bob['id']}", params={"engineer": BOB})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert client.delete(f"/queue/{bob['id']}", params={"engineer": BOB}).status_code == 409
    assert [e["id"] for e in client.get("/queue", params={"state": "cancelled"}).json()["queue"]] == [bob["id"]]
    # The scope frees: the remaining waiter is granted, and the queue shows it.
    assert client.delete(f"/claims/{held['id']}", params={"engineer": ALEX}).status_code == 200
    for thread in threads:
        thread.join(15)
    granted = client.get("/queue", params={"state": "granted"}).json()["queue"]
    assert [e["engineer"] for e in granted] == [CAROL] and granted[0]["place"] is None
    assert client.get("/queue").json()["queue"] == []
    assert client.get("/queue", params={"state": "bogus"}).status_code == 400
    assert_exclusive(client.get("/claims").json()["claims"])


def test_the_old_cancel_path_still_works_and_is_deprecated(client: TestClient) -> None:
    held = claim(client, ALEX, "src/b.ts").json()["claims"][0]
    thread = wait_in_background(client, BOB, "src/b.ts")
    (entry,) = waiting(client, 1)
    assert client.delete(f"/requests/{entry['id']}", params={"engineer": BOB}).json()["state"] == "cancelled"
    thread.join(15)
    operations = client.get("/openapi.json").json()["paths"]
    assert operations["/requests/{queue_id}"]["delete"]["deprecated"] is True
    assert "deprecated" not in operations["/queue/{queue_id}"]["delete"]
    assert client.delete(f"/claims/{held['id']}", params={"engineer": ALEX}).status_code == 200


def test_queue_and_release_requests_paginate(client: TestClient) -> None:
    holders = [claim(client, f"h{i}/cli/1", f"q{i}.ts").json()["claims"][0] for i in range(5)]
    threads = [wait_in_background(client, f"w{i}/cli/1", f"q{i}.ts") for i in range(5)]
    waiting(client, 5)
    seen: list[int] = []
    url: str | None = f"/queue?repo_id={REPO}&limit=2"
    while url:
        response = client.get(url)
        seen += [e["id"] for e in response.json()["queue"]]
        url = next_link(response)
    assert seen == sorted(seen) and len(set(seen)) == 5
    # The older spelling pages the same way.
    first = client.get("/requests", params={"queued": "true", "limit": 2})
    assert len(first.json()["queue"]) == 2 and first.json()["next_cursor"]
    for h in holders:
        body = {"repo_id": REPO, "requester": DAN, "claim_id": h["id"], "reason": "hotfix"}
        assert client.post("/requests", json=body).status_code == 200
    asked: list[int] = []
    url = "/requests?engineer=" + DAN + "&limit=2"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        asked += [r["id"] for r in response.json()["requests"]]
        url = next_link(response)
    assert asked == sorted(asked, reverse=True) and len(set(asked)) == 5
    for h in holders:
        client.delete(f"/claims/{h['id']}", params={"engineer": h["engineer"]})
    for thread in threads:
        thread.join(15)
