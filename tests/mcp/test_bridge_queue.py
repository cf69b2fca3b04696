"""The claim queue through real coord-mcp bridges: wait, see who you wait on, cancel."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer
from tests.mcp.bridge_client import bridge, payload, text

pytestmark = pytest.mark.integration

BOB = "bob/codex/main"
CAROL = "carol/cursor/main"


def _repo(tmp_path: Path, server: LiveServer) -> Path:
    root = tmp_path / "app"
    (root / ".coordination").mkdir(parents=True)
    (root / ".coordination" / "local.env").write_text(
        f"COORD_API_URL={server.url}\nCOORD_AUTH_TOKEN={server.token}\nCOORD_REPO_ID=acme/queue\n"
    )
    (root / "src").mkdir()
    (root / "src" / "a.ts").write_text("export const a = 1;\n")
    return root


async def _queued(session, engineer: str) -> list[dict]:  # type: ignore[no-untyped-def]
    for _ in range(200):
        entries = payload(await session.call_tool("my_requests", {"queued": True, "engineer": engineer}))["queue"]
        if entries:
            return list(entries)
        await asyncio.sleep(0.05)
    raise AssertionError(f"{engineer} never joined the queue")


async def test_wait_in_the_queue_then_cancel(tmp_path: Path, live_server: LiveServer) -> None:
    root = _repo(tmp_path, live_server)
    async with (
        bridge(root, {"COORD_ENGINEER": "alex/claude/main"}) as alex,
        bridge(root, {"COORD_ENGINEER": BOB}) as bob,
        bridge(root, {"COORD_ENGINEER": CAROL}) as carol,
    ):
        held = await alex.call_tool("claim_files", {"patterns": ["src/a.ts"]})
        assert not held.is_error, text(held)
        waiting = asyncio.create_task(
            bob.call_tool("claim_files", {"patterns": ["src/a.ts"], "wait_seconds": 30, "urgency": "high"})
        )
        (entry,) = await _queued(alex, BOB)
        assert entry["urgency"] == "high" and entry["blocking"][0]["engineer"] == "alex/claude/main"
        released = await alex.call_tool("release_claims", {})
        assert not released.is_error, text(released)
        granted = await asyncio.wait_for(waiting, 20)
        assert not granted.is_error, text(granted)
        body = payload(granted)
        assert body["claims"][0]["engineer"] == BOB and body["queue"]["id"] == entry["id"]

        # Carol waits behind Bob, then gives up through another bridge.
        waiting = asyncio.create_task(carol.call_tool("claim_files", {"patterns": ["src/a.ts"], "wait_seconds": 30}))
        (entry,) = await _queued(alex, CAROL)
        refused = await alex.call_tool("cancel_queue_request", {"queue_id": entry["id"]})
        assert refused.is_error and ("403" in text(refused) or "only its engineer" in text(refused))
        cancelled = await alex.call_tool("cancel_queue_request", {"queue_id": entry["id"], "engineer": CAROL})
        assert not cancelled.is_error, text(cancelled)
        assert payload(cancelled)["state"] == "cancelled"
        gave_up = await asyncio.wait_for(waiting, 20)
        assert gave_up.is_error and "cancelled" in text(gave_up)

        bad = await bob.call_tool("claim_files", {"patterns": ["src/a.ts"], "wait_seconds": 5000})
        assert bad.is_error
