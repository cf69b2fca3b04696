"""Time-based liveness against real servers on both stores.

- Idle expiry is one-way: a claim whose session went silent past the idle
  timeout is ended (`idle_expired`) and never counts again, whatever touches
  the session afterwards (a heartbeat, an `X-Coord-Session` header, a claim).
- One clock: a replica whose clock runs 30 s ahead does not hand out a scope
  that is still held (PostgreSQL: the database's clock; SQLite: the skew margin).
- The sweep reads time under the repo's lock: what it ends and grants carries
  the time it really happened, not the time the sweep began waiting.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PG_ENV
from tests.support import databases
from tests.support.invariant import assert_server_exclusive
from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

ALEX, BOB = "alex/claude/1", "bob/codex/1"
FAKETIME_LIBS = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/faketime/libfaketimeMT.so.1",
)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Server environment selecting each store in turn (one database per module and store)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "coord.db"
        yield {"COORD_DATABASE_PATH": str(path), "COORD_DISABLE_INSTANCE_LOCK": "1"}
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL to test against")
    url, name = databases.fresh_pg_database(base, migrated=True)
    try:
        yield {"COORD_DATABASE_URL": url}
    finally:
        databases.drop_pg_database(base, name)


def _repo() -> str:
    return "org/" + secrets.token_hex(4)


def _session() -> str:
    return secrets.token_hex(8)


def claim(c: httpx.Client, engineer: str, repo: str, pattern: str, **extra: Any) -> httpx.Response:
    body = {"engineer": engineer, "repo_id": repo, "claims": [{"type": "file", "pattern": pattern}], **extra}
    return c.post("/claims", json=body)


def active_ids(c: httpx.Client, repo: str) -> set[int]:
    resp = c.get("/claims", params={"repo_id": repo, "active": "true"})
    assert resp.status_code == 200, resp.text
    return {x["id"] for x in resp.json()["claims"]}


def until(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def safe_for(c: httpx.Client, engineer: str, repo: str, path: str) -> bool:
    resp = c.get("/conflicts", params={"repo_id": repo, "engineer": engineer, "paths": [path]})
    assert resp.status_code == 200, resp.text
    return bool(resp.json()["safe"])


# ------------------------------------------------------------------ idle sessions


@pytest.fixture(scope="module")
def idle_server(store_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """No sweep runs: every idle decision here is made by the request paths themselves."""
    tmp = tmp_path_factory.mktemp("idle")
    env = {**store_env, "COORD_IDLE_TIMEOUT_SEC": "1", "COORD_DISABLE_BACKGROUND_CLEANUP": "1"}
    server = start_server(tmp, env=env)
    try:
        yield server
    finally:
        server.stop()


def touch(c: httpx.Client, how: str, session: str, repo: str) -> None:
    """Show a sign of life for `session` in one of the three ways the service hears it."""
    if how == "heartbeat":
        resp = c.post(f"/sessions/{session}/heartbeat", json={"engineer": ALEX, "repo_id": repo})
    elif how == "header":
        resp = c.get("/claims", params={"repo_id": repo}, headers={"X-Coord-Session": session})
    else:
        resp = claim(c, ALEX, repo, "docs/other.md", session_id=session)
    assert resp.status_code == 200, resp.text


def assert_idle_expired(c: httpx.Client, claim_id: int) -> None:
    resp = c.get(f"/claims/{claim_id}")
    assert resp.json()["state"] == "idle_expired", resp.json()
    extend = c.post(f"/claims/{claim_id}/extend", json={"engineer": ALEX})
    assert extend.status_code == 409, extend.text
    body = extend.json()
    assert body["state"] == "idle_expired"
    assert "COORD_IDLE_TIMEOUT_SEC" in body["reason"]


TOUCHES = ["heartbeat", "header", "claim"]


@pytest.mark.parametrize("how", TOUCHES)
def test_an_idle_claim_another_engineer_took_over_never_comes_back(idle_server: Server, how: str) -> None:
    repo, session = _repo(), _session()
    with idle_server.client() as c:
        held = claim(c, ALEX, repo, "src/a.ts", session_id=session)
        assert held.status_code == 200, held.text
        held_id = held.json()["claims"][0]["id"]
        until(lambda: safe_for(c, BOB, repo, "src/a.ts"), "the silent session's claim to stop counting")
        took = claim(c, BOB, repo, "src/a.ts")
        assert took.status_code == 200, took.text
        bob_id = took.json()["claims"][0]["id"]

        touch(c, how, session, repo)

        assert_idle_expired(c, held_id)
        assert held_id not in active_ids(c, repo) and bob_id in active_ids(c, repo)
        conflicts = c.get("/conflicts", params={"repo_id": repo, "engineer": ALEX, "paths": ["src/a.ts"]}).json()
        assert [x["claim_id"] for x in conflicts["conflicts"]] == [bob_id]
        verify = c.post("/claims/verify", json={"repo_id": repo, "engineer": ALEX, "paths": ["src/a.ts"]}).json()
        assert verify["ours"] == [] and [x["claim_id"] for x in verify["theirs"]] == [bob_id]
        assert_server_exclusive(c, repo)


@pytest.mark.parametrize("how", TOUCHES)
def test_touching_an_idle_session_ends_its_claims_before_it_starts_afresh(idle_server: Server, how: str) -> None:
    repo, session = _repo(), _session()
    other_repo = _repo()
    with idle_server.client() as c:
        held_id = claim(c, ALEX, repo, "src/a.ts", session_id=session).json()["claims"][0]["id"]
        elsewhere_id = claim(c, ALEX, other_repo, "lib/x.py", session_id=session).json()["claims"][0]["id"]
        until(lambda: safe_for(c, BOB, repo, "src/a.ts"), "the silent session's claim to stop counting")
        # Not swept yet, but every read already shows it as over.
        listed = c.get("/claims", params={"repo_id": repo, "active": "false"}).json()["claims"]
        assert {x["id"]: x["state"] for x in listed} == {held_id: "idle_expired"}
        assert c.get(f"/claims/{held_id}").json()["state"] == "idle_expired"
        assert active_ids(c, repo) == set()

        touch(c, how, session, repo)

        # Nobody claimed in between, yet the old claims stay ended, in every repo.
        assert_idle_expired(c, held_id)
        assert_idle_expired(c, elsewhere_id)
        assert held_id not in active_ids(c, repo) and elsewhere_id not in active_ids(c, other_repo)
        assert safe_for(c, BOB, repo, "src/a.ts") and safe_for(c, BOB, other_repo, "lib/x.py")
        events = c.get("/events", params={"repo_id": repo}).json()["events"]
        assert [e["claim_id"] for e in events if e["event_type"] == "idle-expire"] == [held_id]
        # The session itself lives on: a claim made with it now counts.
        fresh = claim(c, ALEX, repo, "src/a.ts", session_id=session)
        assert fresh.status_code == 200, fresh.text
        assert claim(c, BOB, repo, "src/a.ts").status_code == 409
        assert_server_exclusive(c, repo)
        assert_server_exclusive(c, other_repo)


# ------------------------------------------------------------------ clock skew


def faketime_env(offset_sec: int) -> dict[str, str]:
    """Environment that runs a process with its clock `offset_sec` ahead (Debian's libfaketime)."""
    lib = next((p for p in FAKETIME_LIBS if Path(p).exists()), None)
    if lib is None:
        pytest.skip("libfaketime is not installed (Debian package faketime)")
    env = {"LD_PRELOAD": lib, "FAKETIME": f"+{offset_sec}s", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    seen = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(seen.stdout) - time.time() > offset_sec - 2, "libfaketime did not shift the clock"
    return env


@pytest.fixture(scope="module")
def skewed_pair(store_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    """Two replicas of one database; the second one's clock runs 30 s ahead."""
    tmp = tmp_path_factory.mktemp("skew")
    env = {**store_env, "COORD_IDLE_TIMEOUT_SEC": "20", "COORD_DISABLE_BACKGROUND_CLEANUP": "1"}
    if "COORD_DATABASE_PATH" in store_env:
        # One SQLite file has no clock of its own to share: the margin covers the skew.
        env["COORD_CLOCK_SKEW_MARGIN_SEC"] = "45"
    on_time = start_server(tmp, env=env)
    ahead = start_server(tmp, env={**env, **faketime_env(30)})
    try:
        yield on_time, ahead
    finally:
        ahead.stop()
        on_time.stop()


@pytest.mark.slow
def test_a_replica_whose_clock_runs_ahead_grants_nothing_still_held(
    skewed_pair: tuple[Server, Server], store_env: dict[str, str]
) -> None:
    on_time, ahead = skewed_pair
    shared_clock = "COORD_DATABASE_URL" in store_env
    repo, session = _repo(), _session()
    with on_time.client() as a, ahead.client() as b:
        # 18 s TTL, and a session that is 20 s from idle: both still hold, though the
        # replica running 30 s ahead would see both as over by its own clock.
        ttl = claim(a, ALEX, repo, "src/ttl.ts", ttl_hours=0.005)
        idle = claim(a, ALEX, repo, "src/idle.ts", session_id=session)
        assert ttl.status_code == 200 and idle.status_code == 200, (ttl.text, idle.text)
        held = {ttl.json()["claims"][0]["id"], idle.json()["claims"][0]["id"]}
        for path in ("src/ttl.ts", "src/idle.ts"):
            resp = claim(b, BOB, repo, path)
            assert resp.status_code == 409, f"the replica ahead granted {path}: {resp.text}"
            assert not safe_for(b, BOB, repo, path)
        assert active_ids(b, repo) == held
        verify = b.post("/claims/verify", json={"repo_id": repo, "engineer": BOB, "paths": ["src/ttl.ts"]}).json()
        assert [x["claim_id"] for x in verify["theirs"]] == [ttl.json()["claims"][0]["id"]]
        extend = b.post(f"/claims/{ttl.json()['claims'][0]['id']}/extend", json={"engineer": ALEX})
        if shared_clock:
            # One clock: the holder keeps its claim through the replica ahead too.
            assert extend.status_code == 200, extend.text
        else:
            # The holder is held to the local clock without the margin (the safe side).
            assert extend.status_code == 409 and "TTL ran out" in extend.json()["reason"], extend.text
        assert_server_exclusive(a, repo)
        assert_server_exclusive(b, repo)


# ------------------------------------------------------------------ sweep clock


class RepoLock:
    """Holds a repo's write lock from outside the servers, as a slow writer would."""

    def __init__(self, store_env: dict[str, str], repo: str) -> None:
        self.store_env, self.repo = store_env, repo
        self._release: Callable[[], None] | None = None

    def take(self) -> None:
        url = self.store_env.get("COORD_DATABASE_URL")
        if url:
            import psycopg

            conn = psycopg.connect(url)
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.repo,))

            def release_pg() -> None:
                conn.commit()
                conn.close()

            self._release = release_pg
        else:
            db = sqlite3.connect(self.store_env["COORD_DATABASE_PATH"], isolation_level=None, timeout=30)
            db.execute("BEGIN IMMEDIATE")

            def release_sqlite() -> None:
                db.execute("COMMIT")
                db.close()

            self._release = release_sqlite

    def release(self) -> float:
        assert self._release is not None
        released_at = time.time()
        self._release()
        return released_at


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_a_sweep_grant_carries_the_time_it_was_made(
    store_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("sweep")
    # The sweeping replica idle-expires the holder's claim; the waiter's replica has idle
    # expiry off, so only a sweep can grant the waiter (its own polls never do).
    sweeper = start_server(tmp, env={**store_env, "COORD_IDLE_TIMEOUT_SEC": "1", "COORD_CLEANUP_INTERVAL_SEC": "0.2"})
    waiter = start_server(
        tmp, env={**store_env, "COORD_IDLE_TIMEOUT_SEC": "0", "COORD_DISABLE_BACKGROUND_CLEANUP": "1"}
    )
    repo = _repo()
    lock = RepoLock(store_env, repo)
    try:
        with sweeper.client() as s, waiter.client() as w:
            held = claim(s, BOB, repo, "src/q.ts", session_id=_session())
            assert held.status_code == 200, held.text
            out: dict[str, httpx.Response] = {}
            thread = threading.Thread(
                target=lambda: out.update(r=claim(w, ALEX, repo, "src/q.ts", wait_seconds=30)), daemon=True
            )
            thread.start()
            until(
                lambda: bool(w.get("/requests", params={"queued": "true", "repo_id": repo}).json()["queue"]),
                "the waiter to join the queue",
            )
            lock.take()
            time.sleep(2.5)  # the session goes idle; the sweep finds it and waits for the lock
            released_at = lock.release()
            thread.join(30)
            resp = out["r"]
            assert resp.status_code == 200, resp.text
            granted = resp.json()["claims"][0]
            assert _epoch(granted["created_at"]) >= released_at - 0.3, (granted["created_at"], released_at)
            ended = s.get(f"/claims/{held.json()['claims'][0]['id']}").json()
            assert ended["state"] == "idle_expired"
            assert _epoch(ended["ended_at"]) >= released_at - 0.3
            assert_server_exclusive(s, repo)
    finally:
        waiter.stop()
        sweeper.stop()
