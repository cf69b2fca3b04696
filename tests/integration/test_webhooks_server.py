"""Webhooks end to end: a real server POSTs a claim's grant to a real HTTP receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import start_server

pytestmark = pytest.mark.integration

SECRET = "integration-secret"
ALEX = "alex/claude/1"


def receiver_accepts(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """The receiver check of docs/webhooks.md, written independently of coord's code."""
    fields = dict(p.split("=", 1) for p in headers.get("X-Coord-Signature", "").split(",") if "=" in p)
    stamp, delivery = fields.get("t", ""), headers["X-Coord-Delivery"]
    if not stamp.isdigit() or abs(now - int(stamp)) > 300:
        return False
    signed = f"{stamp}.{delivery}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(fields.get("v1", ""), expected)


class Receiver:
    """An HTTP server on 127.0.0.1 that answers 500 to the first POST and 200 after."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = 500 if not receiver.received else 200
                    receiver.received.append({"headers": dict(self.headers), "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


def test_a_grant_arrives_signed_and_a_failed_delivery_is_retried(tmp_path: Path, receiver: Receiver) -> None:
    env = {
        "COORD_WEBHOOK_URL": receiver.url,
        "COORD_WEBHOOK_SECRET": SECRET,
        "COORD_WEBHOOK_EVENTS": "claim_granted",
        "COORD_WEBHOOK_DELIVERY_INTERVAL_SEC": "0.1",
        "COORD_WEBHOOK_RETRY_BACKOFF_SEC": "0.2",
    }
    server = start_server(tmp_path, env=env)
    try:
        with server.client() as client:
            resp = client.post("/claims", json={"engineer": ALEX, "claims": [{"pattern": "src/a.py"}]})
            assert resp.status_code == 200, resp.text
            claim_id = resp.json()["claims"][0]["id"]
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len(receiver.snapshot()) < 2:
                time.sleep(0.05)
            got = receiver.snapshot()
            assert [g["status"] for g in got] == [500, 200], got
            first, second = got
            assert first["body"] == second["body"]
            assert first["headers"]["X-Coord-Delivery"] == second["headers"]["X-Coord-Delivery"]
            for g in got:
                headers = g["headers"]
                assert receiver_accepts(SECRET, headers, g["body"], now=time.time())
                assert headers["X-Coord-Event"] == "claim_granted"
                # Replayed under another delivery id (to slip past dedupe) or much later: refused.
                replayed = {**headers, "X-Coord-Delivery": str(int(headers["X-Coord-Delivery"]) + 1)}
                assert not receiver_accepts(SECRET, replayed, g["body"], now=time.time())
                assert not receiver_accepts(SECRET, headers, g["body"], now=time.time() + 600)
            event = json.loads(second["body"])
            assert (event["event"], event["claim_id"], event["engineer"]) == ("claim_granted", claim_id, ALEX)
            # The panel's numbers follow once the retry's outcome is recorded.
            counts: dict[str, Any] = {}
            while time.monotonic() < deadline:
                counts = client.get("/metrics/webhooks", params={"hours": 24}).json()
                if counts["totals"]["delivered"] == 1:
                    break
                time.sleep(0.05)
            assert counts["enabled"] is True
            assert counts["events"] == {"claim_granted": {"delivered": 1, "pending": 0, "exhausted": 0}}
        assert SECRET not in server.log.read_text()
    finally:
        server.stop()
