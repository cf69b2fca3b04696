"""Tracked-file drift against a real server on both stores (COORD_REPO_ROOT mode).

`src/*.ts` and `src/b*` share no tracked file, so both are granted; then a commit
adds `src/b.ts`. When the server's file list refreshes, both holders hear of the
overlap (a notice, an audit event, the webhook) and each one's push is blocked
by the other's claim.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.test_liveness import store_env  # noqa: F401 - the both-stores fixture
from tests.support.invariant import active_claims_over_http, assert_server_exclusive, violations
from tests.support.server import start_server

pytestmark = pytest.mark.integration

ALEX, BOB, CAROL = "alex/claude/1", "bob/codex/1", "carol/cursor/1"
REPO = "org/app"


class Receiver:
    """Collects the webhook POSTs a server sends (answers 200)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.server.shutdown()


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def checkout(root: Path, files: list[str]) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "dev")
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"// {rel}\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "init")
    return root


def until(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def claim(c: httpx.Client, engineer: str, pattern: str) -> int:
    body = {"engineer": engineer, "repo_id": REPO, "claims": [{"type": "file", "pattern": pattern}]}
    resp = c.post("/claims", json=body)
    assert resp.status_code == 200, resp.text
    return int(resp.json()["claims"][0]["id"])


def verify(c: httpx.Client, engineer: str, paths: list[str]) -> dict[str, Any]:
    resp = c.post("/claims/verify", json={"repo_id": REPO, "engineer": engineer, "paths": paths})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def notices(c: httpx.Client, engineer: str) -> list[dict[str, Any]]:
    resp = c.post("/sessions/0123456789abcdef/heartbeat", json={"engineer": engineer, "repo_id": REPO})
    assert resp.status_code == 200, resp.text
    return [n for n in resp.json()["pending_requests"] if n["kind"] == "overlap-detected"]


def test_a_commit_that_makes_two_claims_overlap_is_reported_to_both(
    tmp_path: Path,
    store_env: dict[str, str],  # noqa: F811 - the fixture imported above
    receiver: Receiver,
) -> None:
    repo = checkout(tmp_path / "app", ["src/a.ts", "src/b.md", "docs/x.md"])
    env = {
        **store_env,
        "COORD_REPO_ROOT": str(repo),
        "COORD_LS_FILES_CACHE_TTL_SEC": "0.1",
        "COORD_MAX_CLAIM_RATIO": "1",
        "COORD_WEBHOOK_URL": receiver.url,
        "COORD_WEBHOOK_DELIVERY_INTERVAL_SEC": "0.2",
    }
    server = start_server(tmp_path, env=env)
    try:
        with server.client() as c:
            alex = claim(c, ALEX, "src/*.ts")
            bob = claim(c, BOB, "src/b*")  # no tracked file in common: granted
            carol = claim(c, CAROL, "docs/*.md")
            assert verify(c, ALEX, ["src/a.ts"])["theirs"] == []

            (repo / "src/b.ts").write_text("export const b = 1\n")
            git(repo, "add", "src/b.ts")
            git(repo, "commit", "-q", "-m", "add b")

            # The pre-push check of either holder is blocked by the other's claim.
            def both_blocked() -> bool:
                mine, theirs = verify(c, ALEX, ["src/b.ts"]), verify(c, BOB, ["src/b.ts"])
                return [x["claim_id"] for x in mine["theirs"]] == [bob] and [
                    x["claim_id"] for x in theirs["theirs"]
                ] == [alex]

            until(both_blocked, "the refreshed file list to make the claims overlap")

            # The drift check is lazy: it runs on the next request that reads the file list
            # once that list has refreshed (a claim, a conflicts check, a verify, the sweep).
            # Verify answers from the paths themselves, so it may block both before the refresh.
            def overlap_events() -> list[dict[str, Any]]:
                verify(c, CAROL, ["docs/x.md"])
                events = c.get("/events", params={"repo_id": REPO}).json()["events"]
                return [e for e in events if e["event_type"] == "overlap-detected"]

            events = until(overlap_events, "the overlap-detected audit event")
            assert len(events) == 1
            assert events[0]["detail"]["claims"] == [alex, bob]
            assert events[0]["detail"]["paths"] == ["src/b.ts"]
            for engineer, mine, other in ((ALEX, alex, bob), (BOB, bob, alex)):
                (notice,) = notices(c, engineer)
                assert notice["claim_id"] == mine and notice["other_claim"] == other
                assert notice["paths"] == ["src/b.ts"] and "src/b.ts" in notice["message"]
            assert notices(c, CAROL) == []
            hooks = until(
                lambda: [b for b in receiver.bodies if b["event"] == "overlap-detected"], "the overlap webhook"
            )
            assert hooks[0]["detail"]["claims"] == [alex, bob]

            # Reported once: later refreshes and checks add nothing.
            (repo / "docs/y.md").write_text("y\n")
            git(repo, "add", "docs/y.md")
            time.sleep(0.2)
            verify(c, ALEX, ["src/b.ts"])
            kinds = [e["event_type"] for e in c.get("/events", params={"repo_id": REPO}).json()["events"]]
            assert kinds.count("overlap-detected") == 1

            # The invariant sees exactly this pair until one of them lets go.
            tracked = ["src/a.ts", "src/b.md", "src/b.ts", "docs/x.md", "docs/y.md"]
            problems = violations(active_claims_over_http(c, REPO), tracked)
            assert len(problems) == 1 and f"{alex} ({ALEX}" in problems[0] and f"{bob} ({BOB}" in problems[0]
            assert c.delete(f"/claims/{bob}", params={"engineer": BOB}).status_code == 200
            assert_server_exclusive(c, REPO, tracked)
            assert carol in {x["id"] for x in active_claims_over_http(c, REPO)}
    finally:
        server.stop()
