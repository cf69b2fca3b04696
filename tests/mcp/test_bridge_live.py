"""Two real coord-mcp bridges (alex, bob) over stdio against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer
from tests.mcp.bridge_client import bridge, payload, text

pytestmark = pytest.mark.integration

PLACEHOLDERS = {
    "COORD_API_URL": "http://127.0.0.1:8080",
    "COORD_AUTH_TOKEN": "set-me",
    "COORD_REPO_ID": "example-org/example-repo",
}


def _repo(tmp_path: Path, server: LiveServer) -> Path:
    root = tmp_path / "app"
    (root / ".coordination").mkdir(parents=True)
    (root / ".coordination" / "local.env").write_text(
        f"COORD_API_URL={server.url}\nCOORD_AUTH_TOKEN={server.token}\nCOORD_REPO_ID=acme/mcp\n"
    )
    (root / "src").mkdir()
    (root / "src" / "a.ts").write_text("export function handleLogin() {}\n")
    return root


async def test_claim_conflict_release_between_two_bridges(tmp_path: Path, live_server: LiveServer) -> None:
    root = _repo(tmp_path, live_server)
    alex_env = {
        **PLACEHOLDERS,
        "COORD_ENGINEER": "alex/claude/main",
        "COORD_HEARTBEAT_INTERVAL_SEC": "0.2",
    }
    bob_env = {**PLACEHOLDERS, "COORD_ENGINEER": "bob/cursor/main"}
    async with bridge(root, alex_env) as alex, bridge(root / "src", bob_env) as bob:
        claimed = await alex.call_tool(
            "claim_files", {"patterns": ["src/a.ts"], "description": "login work", "ttl_hours": 1}
        )
        assert not claimed.is_error, text(claimed)
        claim = payload(claimed)["claims"][0]
        assert claim["engineer"] == "alex/claude/main" and claim["repo_id"] == "acme/mcp"
        alex_session = payload(await alex.call_tool("whoami", {}))["session_id"]
        assert claim["session_id"] == alex_session

        conflicts = payload(await bob.call_tool("check_conflicts", {"paths": ["src/a.ts"]}))
        assert conflicts["has_conflicts"] and not conflicts["safe"]

        refused = await bob.call_tool("claim_files", {"patterns": ["src/a.ts"]})
        assert refused.is_error
        message = text(refused)
        assert "CONFLICT" in message and "alex/claude/main" in message and f"#{claim['id']}" in message

        listed = payload(await bob.call_tool("list_claims", {}))["claims"]
        assert [c["id"] for c in listed] == [claim["id"]]
        extended = payload(await alex.call_tool("extend_claims", {"ttl_hours": 2}))
        assert extended["extended"][0]["id"] == claim["id"]
        beat = payload(await alex.call_tool("heartbeat", {}))
        assert beat["session_id"] == alex_session

        released = payload(await alex.call_tool("release_claims", {}))
        assert released["released"] == [claim["id"]]
        ok = await bob.call_tool("claim_files", {"patterns": ["src/a.ts"]})
        assert not ok.is_error, text(ok)
        await bob.call_tool("release_claims", {})


async def test_placeholder_token_without_local_env_is_a_clean_401(tmp_path: Path, live_server: LiveServer) -> None:
    env = {**PLACEHOLDERS, "COORD_API_URL": live_server.url}
    async with bridge(tmp_path, env) as session:
        result = await session.call_tool("list_claims", {})
        assert result.is_error and "401" in text(result) and "local.env" in text(result)


async def test_unknown_symbol_is_refused_locally(tmp_path: Path, live_server: LiveServer) -> None:
    root = _repo(tmp_path, live_server)
    async with bridge(root, {**PLACEHOLDERS, "COORD_ENGINEER": "alex/claude/main"}) as session:
        bad = await session.call_tool(
            "claim_files", {"patterns": ["src/a.ts"], "symbols": {"src/a.ts": ["handleLogn"]}}
        )
        assert bad.is_error and "handleLogin" in text(bad)
        good = await session.call_tool(
            "claim_files", {"patterns": ["src/a.ts"], "symbols": {"src/a.ts": ["handleLogin"]}}
        )
        assert not good.is_error, text(good)
        assert payload(good)["claims"][0]["symbols"] == ["handleLogin"]
        await session.call_tool("release_claims", {})
