"""Queue entries end with their waiter: nobody is granted a scope they no longer wait for.

Over HTTP against real servers, on SQLite and PostgreSQL: a waiter that closes
its connection or times out, a wait that ends, a server stopped with SIGTERM
while calls wait (503 with a reason; after a restart nobody is granted), and two
replicas on one database where the waiter's replica dies or its caller leaves.
"""

from __future__ import annotations

import itertools
import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import databases
from tests.support.invariant import assert_server_exclusive
from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

ALEX, BOB = "alex/claude/1", "bob/codex/1"
LEASE_SEC = "2"
_repos = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgres"])
def db_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """Server environment selecting each store; servers started with it share one database."""
    env = {"COORD_DISABLE_INSTANCE_LOCK": "1", "COORD_QUEUE_WAITER_LEASE_SEC": LEASE_SEC}
    if request.param == "postgres":
        env["COORD_DATABASE_URL"] = request.getfixturevalue("pg_migrated_url")
    return env


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per store for the single-server cases; each test uses a repo of its own."""
    with databases.server_store_env(request.param) as store_env:
        srv = start_server(
            Path(tmp_path_factory.mktemp("liveness")),
            env={"COORD_DISABLE_INSTANCE_LOCK": "1", "COORD_QUEUE_WAITER_LEASE_SEC": LEASE_SEC, **store_env},
        )
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture
def repo() -> str:
    return f"liveness/repo{next(_repos)}"


def claim_body(engineer: str, repo: str, pattern: str, **extra: Any) -> dict[str, Any]:
    return {"engineer": engineer, "repo_id": repo, "claims": [{"pattern": pattern}], **extra}


def hold(client: httpx.Client, repo: str, pattern: str = "src/a.ts") -> dict[str, Any]:
    resp = client.post("/claims", json=claim_body(ALEX, repo, pattern))
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["claims"][0])


def release(client: httpx.Client, claim: dict[str, Any]) -> None:
    resp = client.delete(f"/claims/{claim['id']}", params={"engineer": ALEX})
    assert resp.json() == {"released": [claim["id"]]}, resp.text


def waiting(client: httpx.Client, repo: str) -> list[dict[str, Any]]:
    resp = client.get("/requests", params={"queued": "true", "repo_id": repo})
    assert resp.status_code == 200, resp.text
    return list(resp.json()["queue"])


def until(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def queue_events(client: httpx.Client, repo: str, kind: str) -> list[dict[str, Any]]:
    found = client.get("/events", params={"repo_id": repo}).json()["events"]
    return [e for e in found if e["event_type"] == kind]


def nobody_got_it(client: httpx.Client, repo: str) -> None:
    """The scope is free, Bob holds nothing, and a third engineer can take it at once."""
    assert client.get("/claims", params={"repo_id": repo, "engineer": BOB}).json()["claims"] == []
    assert queue_events(client, repo, "queue_grant") == []
    taken = client.post("/claims", json=claim_body("carol/cursor/1", repo, "src/a.ts"))
    assert taken.status_code == 200, taken.text
    assert_server_exclusive(client, repo)


def raw_wait(server: Server, body: dict[str, Any]) -> socket.socket:
    """Send `POST /claims` on a bare socket, so the test decides when the connection closes."""
    url = urlsplit(server.url)
    data = json.dumps(body).encode()
    head = (
        f"POST /claims HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {server.token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    sock.sendall(head.encode() + data)
    return sock


def in_background(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["response"] = fn()
        except Exception as exc:  # reported by the test
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


# ------------------------------------------------------------------ one server


def test_a_waiter_that_disconnects_is_never_granted(server: Server, repo: str) -> None:
    with server.client() as client:
        held = hold(client, repo)
        sock = raw_wait(server, claim_body(BOB, repo, "src/a.ts", wait_seconds=60))
        (entry,) = until(lambda: waiting(client, repo), "Bob to join the queue")
        sock.close()
        until(lambda: not waiting(client, repo), "the entry to end when its connection closed")
        (abandon,) = queue_events(client, repo, "queue_abandon")
        assert abandon["detail"]["queue_id"] == entry["id"] and "connection" in abandon["detail"]["reason"]
        release(client, held)
        nobody_got_it(client, repo)


def test_a_waiter_whose_client_times_out_is_never_granted(server: Server, repo: str) -> None:
    with server.client() as client, server.client() as impatient:
        held = hold(client, repo)
        with pytest.raises(httpx.ReadTimeout):
            impatient.post("/claims", json=claim_body(BOB, repo, "src/a.ts", wait_seconds=60), timeout=1.0)
        until(lambda: not waiting(client, repo), "the entry to end when its client gave up")
        release(client, held)
        nobody_got_it(client, repo)


def test_a_wait_that_ends_is_never_granted_later(server: Server, repo: str) -> None:
    with server.client() as client:
        held = hold(client, repo)
        resp = client.post("/claims", json=claim_body(BOB, repo, "src/a.ts", wait_seconds=0.5))
        assert resp.status_code == 409 and resp.json()["queue"]["state"] == "expired", resp.text
        assert waiting(client, repo) == []
        release(client, held)
        nobody_got_it(client, repo)


# --------------------------------------------------------------- stop, restart


def test_sigterm_answers_waiters_503_and_after_a_restart_nobody_gets_the_scope(
    tmp_path: Path, db_env: dict[str, str]
) -> None:
    repo = "liveness/sigterm"
    first = start_server(tmp_path, env=db_env)
    try:
        with first.client() as client:
            held = hold(client, repo)
            thread, out = in_background(
                lambda: client.post("/claims", json=claim_body(BOB, repo, "src/a.ts", wait_seconds=60))
            )
            until(lambda: waiting(client, repo), "Bob to join the queue")
            stopped = time.monotonic()
            first.kill(signal.SIGTERM)
            thread.join(15)
        assert "error" not in out, out
        resp = out["response"]
        assert resp.status_code == 503, resp.text
        body = resp.json()
        assert body["error"] == "unavailable" and "shutting down" in body["detail"]
        assert time.monotonic() - stopped < 4.5  # answered at once, not cut off by the graceful timeout
    finally:
        first.stop()
    second = start_server(tmp_path, env=db_env)
    try:
        with second.client() as client:
            assert waiting(client, repo) == []
            release(client, held)
            nobody_got_it(client, repo)
    finally:
        second.stop()


# ----------------------------------------------------------------- two replicas


@pytest.mark.slow
def test_a_replica_that_dies_leaves_no_entry_to_grant(tmp_path: Path, db_env: dict[str, str]) -> None:
    repo = "liveness/replica-dies"
    sweeping = {**db_env, "COORD_CLEANUP_INTERVAL_SEC": "0.5"}
    a, b = start_server(tmp_path, env=db_env), start_server(tmp_path, env=sweeping)
    try:
        with b.client() as on_b:
            held = hold(on_b, repo)
            sock = raw_wait(a, claim_body(BOB, repo, "src/a.ts", wait_seconds=120))
            until(lambda: waiting(on_b, repo), "Bob to join the queue on replica A")
            a.kill(signal.SIGKILL)  # no goodbye: only the lapsed lease tells
            sock.close()
            until(lambda: not waiting(on_b, repo), "replica B to end the entry nobody renews")
            (abandon,) = queue_events(on_b, repo, "queue_abandon")
            assert "lease" in abandon["detail"]["reason"]
            release(on_b, held)
            nobody_got_it(on_b, repo)
    finally:
        a.stop()
        b.stop()


def test_a_grant_in_another_replica_skips_a_waiter_that_left(tmp_path: Path, db_env: dict[str, str]) -> None:
    repo = "liveness/replica-left"
    a, b = start_server(tmp_path, env=db_env), start_server(tmp_path, env=db_env)
    try:
        with a.client() as on_a, b.client() as on_b:
            held = hold(on_b, repo)
            sock = raw_wait(a, claim_body(BOB, repo, "src/a.ts", wait_seconds=120))
            until(lambda: waiting(on_b, repo), "Bob to join the queue on replica A")
            sock.close()
            until(lambda: not waiting(on_b, repo), "the entry to end when its connection closed")
            release(on_b, held)
            nobody_got_it(on_b, repo)
            assert_server_exclusive(on_a, repo)
    finally:
        a.stop()
        b.stop()
