"""Two real coord-mcp bridges share one file by symbols, then negotiate over MCP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer
from tests.mcp.bridge_client import bridge, payload, text

pytestmark = pytest.mark.integration

ROUTER = """\
export class Router {
  handleAuth(): string { return "auth"; }
  handleLogout(): string { return "bye"; }
}
"""


def _repo(tmp_path: Path, server: LiveServer) -> Path:
    root = tmp_path / "app"
    (root / ".coordination").mkdir(parents=True)
    (root / ".coordination" / "local.env").write_text(
        f"COORD_API_URL={server.url}\nCOORD_AUTH_TOKEN={server.token}\nCOORD_REPO_ID=acme/symbols\n"
    )
    (root / "src").mkdir()
    (root / "src" / "router.ts").write_text(ROUTER)
    return root


async def test_two_bridges_coexist_by_symbols_and_negotiate(tmp_path: Path, live_server: LiveServer) -> None:
    root = _repo(tmp_path, live_server)
    alex_env = {"COORD_ENGINEER": "alex/claude/main"}
    bob_env = {"COORD_ENGINEER": "bob/codex/main"}
    # Carol's bridge heartbeats in the background several times before she calls a tool:
    # those heartbeats must not swallow her notices.
    carol_env = {"COORD_ENGINEER": "carol/cursor/main", "COORD_HEARTBEAT_INTERVAL_SEC": "0.05"}
    async with bridge(root, alex_env) as alex, bridge(root, bob_env) as bob, bridge(root, carol_env) as carol:
        whole = await carol.call_tool("claim_files", {"patterns": ["src/router.ts"]})
        assert not whole.is_error, text(whole)
        carol_claim = payload(whole)["claims"][0]

        auth = await alex.call_tool(
            "claim_files", {"patterns": ["src/router.ts"], "symbols": {"src/router.ts": ["Router::handleAuth"]}}
        )
        assert not auth.is_error, text(auth)
        assert payload(auth)["decisions"][0]["outcome"] == "AUTO_NARROW"
        logout = await bob.call_tool(
            "claim_files", {"patterns": ["src/router.ts"], "symbols": {"src/router.ts": ["Router::handleLogout"]}}
        )
        assert not logout.is_error, text(logout)
        decision = payload(logout)["decisions"][0]
        assert decision["coexists_with"] == [payload(auth)["claims"][0]["id"]]

        # The narrowed holder hears about both on its next call over MCP.
        await asyncio.sleep(0.3)  # let several background heartbeats run
        beat = payload(await carol.call_tool("heartbeat", {}))
        assert [n["kind"] for n in beat["pending_requests"]] == ["auto-narrow", "auto-narrow"]

        # A claim on the whole class is refused; bob asks carol to let go instead.
        refused = await bob.call_tool(
            "claim_files", {"patterns": ["src/router.ts"], "symbols": {"src/router.ts": ["Router"]}}
        )
        assert refused.is_error and "CONFLICT" in text(refused)
        asked = await bob.call_tool(
            "request_release", {"claim_id": carol_claim["id"], "reason": "refactoring Router", "urgency": "high"}
        )
        assert not asked.is_error, text(asked)
        request_id = payload(asked)["id"]
        mine = payload(await carol.call_tool("my_requests", {"role": "holder"}))["requests"]
        assert [r["id"] for r in mine] == [request_id]
        answered = await carol.call_tool("respond_to_request", {"request_id": request_id, "answer": "release"})
        assert not answered.is_error, text(answered)
        seen = payload(await bob.call_tool("my_requests", {"role": "requester"}))["requests"]
        assert seen[0]["answer"] == "release"
        for session in (alex, bob):
            await session.call_tool("release_claims", {})
