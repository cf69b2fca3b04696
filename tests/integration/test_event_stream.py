"""`GET /events/stream`: audit rows pushed as server-sent events, resumable, across replicas."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

REPO = "acme/app"
WAIT_SEC = 10.0


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two servers on one SQLite file: what one writes, the other's stream shows."""
    one = start_server(tmp_path, env={"COORD_DISABLE_INSTANCE_LOCK": "true"})
    two = start_server(tmp_path, env={"COORD_DISABLE_INSTANCE_LOCK": "true"})
    try:
        yield one, two
    finally:
        one.stop()
        two.stop()


class Stream:
    """Reads one event stream on a thread; events land in a queue as (id, data) pairs."""

    def __init__(self, server: Server, headers: dict[str, str] | None = None, **params: Any) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.opened = threading.Event()
        self.status = 0
        self._client = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {server.token}", **(headers or {})}, timeout=30
        )
        self._thread = threading.Thread(target=self._read, args=(params,), daemon=True)
        self._thread.start()
        assert self.opened.wait(WAIT_SEC), "the stream never opened"

    def _read(self, params: dict[str, Any]) -> None:
        try:
            with self._client.stream("GET", "/events/stream", params=params) as response:
                self.status = response.status_code
                self.content_type = response.headers.get("content-type", "")
                self.opened.set()
                event_id, data = "", ""
                for line in response.iter_lines():
                    if line.startswith("id:"):
                        event_id = line[3:].strip()
                    elif line.startswith("data:"):
                        data += line[5:].strip()
                    elif not line and data:
                        self.events.put((event_id, json.loads(data)))
                        event_id, data = "", ""
        except httpx.HTTPError:
            pass
        finally:
            self.opened.set()

    def next(self, what: str) -> tuple[str, dict[str, Any]]:
        try:
            return self.events.get(timeout=WAIT_SEC)
        except queue.Empty:
            raise AssertionError(f"no event for {what} within {WAIT_SEC}s") from None

    def until(self, event_type: str) -> tuple[str, dict[str, Any]]:
        deadline = time.monotonic() + WAIT_SEC
        while time.monotonic() < deadline:
            event_id, row = self.next(event_type)
            if row["event_type"] == event_type:
                return event_id, row
        raise AssertionError(f"no {event_type} event within {WAIT_SEC}s")

    def close(self) -> None:
        self._client.close()


def claim(server: Server, engineer: str, pattern: str) -> int:
    with server.client() as client:
        response = client.post(
            "/claims", json={"engineer": engineer, "repo_id": REPO, "claims": [{"pattern": pattern}]}
        )
    assert response.status_code == 200, response.text
    return int(response.json()["claims"][0]["id"])


def test_a_claim_made_on_one_replica_is_pushed_by_the_other(replicas: tuple[Server, Server]) -> None:
    one, two = replicas
    claim(one, "old/claude/1", "old.txt")  # before the stream: not replayed
    stream = Stream(two)
    try:
        assert stream.status == 200
        assert stream.content_type.startswith("text/event-stream")
        claim_id = claim(one, "alex/claude/main", "src/auth/**")
        event_id, row = stream.until("grant")
        assert row["claim_id"] == claim_id and row["repo_id"] == REPO and row["pattern"] == "src/auth/**"
        assert event_id == str(row["id"])
    finally:
        stream.close()


def test_last_event_id_resumes_after_that_event(replicas: tuple[Server, Server]) -> None:
    one, _ = replicas
    first = claim(one, "alex/claude/main", "a.txt")
    second = claim(one, "bob/codex/1", "b.txt")
    with one.client() as client:
        grants = [
            e for e in client.get("/events", params={"repo_id": REPO}).json()["events"] if e["event_type"] == "grant"
        ]
    first_event = next(e["id"] for e in grants if e["claim_id"] == first)
    stream = Stream(one, headers={"Last-Event-ID": str(first_event)})
    try:
        _, row = stream.until("grant")
        assert row["claim_id"] == second and row["id"] > first_event
    finally:
        stream.close()
    # `after` does the same for clients that cannot set headers.
    again = Stream(one, after=first_event)
    try:
        assert again.until("grant")[1]["claim_id"] == second
    finally:
        again.close()


def test_the_stream_filters_by_repo_and_needs_the_token(replicas: tuple[Server, Server]) -> None:
    one, _ = replicas
    stream = Stream(one, repo_id="other/repo")
    try:
        claim(one, "alex/claude/main", "x.txt")  # another repo: not shown
        with one.client() as client:
            body = {"engineer": "bob/codex/1", "repo_id": "other/repo", "claims": [{"pattern": "y.txt"}]}
            assert client.post("/claims", json=body).status_code == 200
        _, row = stream.until("grant")
        assert row["repo_id"] == "other/repo" and row["pattern"] == "y.txt"
    finally:
        stream.close()
    response = httpx.get(f"{one.url}/events/stream", timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    bad = httpx.get(f"{one.url}/events/stream?after=-1", headers={"Authorization": f"Bearer {one.token}"}, timeout=10)
    assert bad.status_code == 400
