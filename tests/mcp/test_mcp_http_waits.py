"""Long waits over `/mcp`: a capped call answers a ticket, resume keeps the place, progress flows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.support.invariant import assert_server_exclusive
from tests.support.mcp_http import mcp_http, structured, text
from tests.support.server import Server, start_server

REPO = "acme/waits"
ALEX, BOB, CAROL = "alex/claude/main", "bob/codex/main", "carol/cursor/main"
CAP = 3.0  # progress notifications come every 2 s: at least one per capped call


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"COORD_DISABLE_BACKGROUND_CLEANUP": "true", "COORD_MAX_CALL_WAIT_SEC": str(CAP)}
    s = start_server(tmp_path_factory.mktemp("mcp-waits"), env=env)
    try:
        yield s
    finally:
        s.stop()


async def test_a_long_wait_returns_a_ticket_with_progress_then_resumes_to_the_grant(server: Server) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async with (
        mcp_http(server.url, server.token, REPO, ALEX) as alex,
        mcp_http(server.url, server.token, REPO, BOB) as bob,
    ):
        held = structured(await alex.call_tool("claim_files", {"patterns": ["src/hot.py"]}))["claims"][0]
        started = time.monotonic()
        first = structured(
            await bob.call_tool(
                "claim_files", {"patterns": ["src/hot.py"], "wait_seconds": 120}, progress_callback=on_progress
            )
        )
        took = time.monotonic() - started
        assert CAP <= took < CAP + 3, took
        entry = first["queue"]
        assert first["claims"] == [] and entry["state"] == "waiting" and entry["place"] == 1
        assert entry["ticket"].startswith(f"q{entry['id']}-") and entry["resume_before"]
        assert [b["claim_id"] for b in entry["blocking"]] == [held["id"]]
        assert progress and all(m and "waiting in the claim queue" in m for _, _, m in progress)
        assert [v for v, _, _ in progress] == sorted(v for v, _, _ in progress)
        assert progress[0][1] == 120

        # another engineer cannot take the place; a made-up ticket is unknown
        async with mcp_http(server.url, server.token, REPO, CAROL) as carol:
            stolen = await carol.call_tool("claim_files", {"resume": entry["ticket"]})
            assert stolen.is_error and "403" in text(stolen) and "only its engineer" in text(stolen)
        unknown = await bob.call_tool("claim_files", {"resume": f"q{entry['id'] + 999}-0123456789ab"})
        assert unknown.is_error and "404" in text(unknown)

        # resume: the same entry waits again; alex releases during the call
        async def release_soon() -> None:
            await asyncio.sleep(1.0)
            structured(await alex.call_tool("release_claims", {"claim_ids": [held["id"]]}))

        releasing = asyncio.create_task(release_soon())
        resumed = structured(await bob.call_tool("claim_files", {"resume": entry["ticket"]}))
        await releasing
        assert resumed["queue"]["id"] == entry["id"] and resumed["queue"]["state"] == "granted"
        assert [c["engineer"] for c in resumed["claims"]] == [BOB]
        structured(await bob.call_tool("release_claims", {}))
    with server.client() as http:
        assert_server_exclusive(http, REPO)


async def test_a_deadlock_is_a_tool_error_naming_the_cycle(server: Server) -> None:
    repo = "acme/deadlock-mcp"
    async with (
        mcp_http(server.url, server.token, repo, ALEX) as alex,
        mcp_http(server.url, server.token, repo, BOB) as bob,
    ):
        x = structured(await alex.call_tool("claim_files", {"patterns": ["src/x.py"]}))["claims"][0]["id"]
        y = structured(await bob.call_tool("claim_files", {"patterns": ["src/y.py"]}))["claims"][0]["id"]
        waiting = structured(await alex.call_tool("claim_files", {"patterns": ["src/y.py"], "wait_seconds": 60}))
        assert waiting["queue"]["state"] == "waiting"
        started = time.monotonic()
        refused = await bob.call_tool("claim_files", {"patterns": ["src/x.py"], "wait_seconds": 60})
        assert time.monotonic() - started < CAP
        message = text(refused)
        assert refused.is_error and "DEADLOCK" in message
        assert f"#{x}" in message and f"#{y}" in message and ALEX in message and BOB in message
        assert f"Suggestion: {BOB}: release claim #{y}" in message
        structured(await alex.call_tool("release_claims", {}))
        structured(await bob.call_tool("release_claims", {}))
