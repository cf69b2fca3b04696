"""The bridge's heartbeat thread and error formatting, with a fake API."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from coordination import clientenv
from coordination.client import CoordClient, CoordError
from coordination.mcp_bridge import Bridge, _format_error


def _bridge(handler: object) -> Bridge:
    env = clientenv.resolve(
        {"COORD_API_URL": "http://svc", "COORD_AUTH_TOKEN": "t", "COORD_SESSION_ID": "00112233aabbccdd"},
        start=Path("/"),
    )
    client = CoordClient.from_env(env, transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    return Bridge(env, client)


def _wait(predicate: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_heartbeat_thread_beats_and_survives_failures() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 2:
            return httpx.Response(503, json={"error": "unavailable", "detail": "db down"})
        return httpx.Response(200, json={"session_id": "00112233aabbccdd", "active_claims": 0})

    bridge = _bridge(handler)
    bridge.start_heartbeat(0.02)
    try:
        assert _wait(lambda: len(calls) >= 4)
    finally:
        bridge.stop()
    assert all(r.url.path == "/sessions/00112233aabbccdd/heartbeat" for r in calls)
    assert all(r.headers["X-Coord-Session"] == "00112233aabbccdd" for r in calls)
    assert bridge.last_heartbeat is not None


def test_conflict_error_text_names_holder_and_next_steps() -> None:
    err = CoordError(
        409,
        "conflict",
        "1 conflict",
        {
            "conflicts": [
                {
                    "claim_id": 4,
                    "engineer": "bob/x/main",
                    "pattern": "src/**",
                    "requested_pattern": "src/a.ts",
                    "symbols": ["Router"],
                    "expires_at": "2030-01-01T00:00:00Z",
                }
            ],
            "suggestion": "ask bob",
        },
    )
    text = _format_error("claim_files", err)
    for needle in ("CONFLICT", "bob/x/main", "#4", "src/**", "Router", "ask bob", "Do not edit"):
        assert needle in text
    assert "local.env" in _format_error("x", CoordError(401, "unauthorized", "no token"))
