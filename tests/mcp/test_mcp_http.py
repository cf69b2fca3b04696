"""`/mcp` on a real server process, through the official MCP client over streamable HTTP."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import httpx
import pytest

from tests.mcp.test_bridge_offline import TOOLS
from tests.support.invariant import assert_server_exclusive
from tests.support.mcp_http import mcp_http, structured, text
from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

REPO = "acme/http"
ALEX, BOB = "alex/claude/main", "bob/codex/main"
READ_ONLY = {"check_conflicts", "list_claims", "my_requests", "whoami"}

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("mcp-http"), env={"COORD_DISABLE_BACKGROUND_CLEANUP": "true"})
    try:
        yield s
    finally:
        s.stop()


async def test_tools_are_listed_with_annotations_and_output_schemas(server: Server) -> None:
    async with mcp_http(server.url, server.token, REPO, ALEX) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) >= TOOLS | {"request_release", "respond_to_request", "my_requests"}
    for name, tool in tools.items():
        assert tool.annotations is not None, name
        assert tool.annotations.read_only_hint is (name in READ_ONLY), name
        assert tool.output_schema and tool.output_schema.get("type") == "object", name
    assert tools["release_claims"].annotations.destructive_hint is True
    assert tools["release_claims"].annotations.idempotent_hint is True
    outcomes = tools["claim_files"].description or ""
    assert all(word in outcomes for word in ("granted", "conflict (409", "invalid (400", "queued"))


async def test_claim_conflict_release_between_two_engineers(server: Server) -> None:
    async with (
        mcp_http(server.url, server.token, REPO, ALEX, session="aaaa0000aaaa0000") as alex,
        mcp_http(server.url, server.token, REPO, BOB) as bob,
    ):
        got = structured(await alex.call_tool("claim_files", {"patterns": ["src/auth/**"], "description": "auth"}))
        claim = got["claims"][0]
        assert (claim["engineer"], claim["repo_id"], claim["session_id"]) == (ALEX, REPO, "aaaa0000aaaa0000")

        check = structured(await bob.call_tool("check_conflicts", {"paths": ["src/auth/login.ts"]}))
        assert check["safe_to_proceed"] is False and check["conflicts"][0]["engineer"] == ALEX

        refused = await bob.call_tool("claim_files", {"patterns": ["src/auth/login.ts"]})
        assert refused.is_error
        assert "CONFLICT" in text(refused) and ALEX in text(refused) and f"#{claim['id']}" in text(refused)

        invalid = await bob.call_tool("claim_files", {"patterns": ["../outside"]})
        assert invalid.is_error and "400 invalid" in text(invalid)

        # an explicit engineer argument beats the header
        mine = structured(await bob.call_tool("list_claims", {"mine": True}))
        assert mine["claims"] == []
        theirs = structured(await bob.call_tool("list_claims", {"engineer": ALEX}))
        assert [c["id"] for c in theirs["claims"]] == [claim["id"]]

        released = structured(await alex.call_tool("release_claims", {"claim_ids": [claim["id"]]}))
        assert released["released"] == [claim["id"]]
        again = structured(await alex.call_tool("release_claims", {"claim_ids": [claim["id"]]}))
        assert again["released"] == []

        granted = structured(await bob.call_tool("claim_files", {"patterns": ["src/auth/login.ts"]}))
        assert granted["claims"][0]["engineer"] == BOB
        structured(await bob.call_tool("release_claims", {}))
    with server.client() as http:
        assert_server_exclusive(http, REPO)


async def test_repo_and_engineer_from_arguments_without_headers(server: Server) -> None:
    async with mcp_http(server.url, server.token) as client:
        missing = await client.call_tool("claim_files", {"patterns": ["docs/a.md"]})
        assert missing.is_error and "X-Coord-Engineer" in text(missing)
        got = structured(
            await client.call_tool("claim_files", {"patterns": ["docs/a.md"], "engineer": BOB, "repo_id": "acme/args"})
        )
        assert (got["claims"][0]["engineer"], got["claims"][0]["repo_id"]) == (BOB, "acme/args")
        who = structured(await client.call_tool("whoami", {}))
        assert who["transport"] == "http" and who["repo_id"] is None and who["token"] == "set"
        structured(await client.call_tool("release_claims", {"engineer": BOB, "repo_id": "acme/args"}))
    with server.client() as http:
        assert_server_exclusive(http, "acme/args")


def _session_seen(server: Server, session: str) -> object:
    with sqlite3.connect(server.log.parent / "coord.db") as db:
        row = db.execute("SELECT last_seen FROM sessions WHERE session_id = ?", (session,)).fetchone()
    return row[0] if row else None


async def test_session_header_counts_as_activity(server: Server) -> None:
    session = "5e55105e55105e55"
    assert _session_seen(server, session) is None
    async with mcp_http(server.url, server.token, REPO, ALEX, session=session) as client:
        await client.list_tools()  # no tool call: the request alone is activity
        assert _session_seen(server, session) is not None
        beat = structured(await client.call_tool("heartbeat", {}))
        assert beat["session_id"] == session


def test_without_a_token_every_request_is_a_401(server: Server) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic abc"}):
        resp = httpx.post(f"{server.url}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **headers}, timeout=10)
        assert resp.status_code == 401, resp.text
        assert resp.json()["error"] == "unauthorized"
        assert resp.headers["www-authenticate"] == "Bearer"
    ok = httpx.post(
        f"{server.url}/mcp",
        json=INITIALIZE,
        headers={**MCP_HEADERS, "Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert ok.status_code == 200, ok.text
    assert "serverInfo" in ok.text


async def test_the_official_client_without_a_token_fails_to_connect(server: Server) -> None:
    statuses: list[int] = []
    with pytest.raises(BaseException):  # noqa: PT011 - the SDK wraps the failure in an exception group
        async with mcp_http(server.url, None, statuses=statuses) as client:
            await client.list_tools()
    assert statuses and set(statuses) == {401}
