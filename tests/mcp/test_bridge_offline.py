"""coord-mcp over real stdio without a service: tools listed, errors readable, no crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mcp.bridge_client import bridge, payload, text

pytestmark = pytest.mark.integration  # runs the coord-mcp console script over real stdio

TOOLS = {
    "cancel_queue_request",
    "check_conflicts",
    "claim_files",
    "release_claims",
    "extend_claims",
    "list_claims",
    "heartbeat",
    "whoami",
}


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / ".coordination").mkdir(parents=True)
    (root / ".coordination" / "local.env").write_text(
        "COORD_API_URL=http://127.0.0.1:9\nCOORD_AUTH_TOKEN=very-secret-token\nCOORD_REPO_ID=acme/app\n"
    )
    (root / "src").mkdir()
    return root


async def test_tools_whoami_and_readable_errors(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    env = {
        "COORD_AUTH_TOKEN": "set-me",
        "COORD_API_URL": "http://127.0.0.1:8080",
        "COORD_REPO_ID": "example-org/example-repo",
        "COORD_ENGINEER": "alex/claude/main",
        "COORD_SESSION_ID": "00112233aabbccdd",
    }
    async with bridge(root / "src", env) as session:
        names = {t.name for t in (await session.list_tools()).tools}
        assert names >= TOOLS

        who = await session.call_tool("whoami", {})
        info = payload(who)
        assert info["api_url"] == "http://127.0.0.1:9"  # placeholder overridden
        assert info["repo_id"] == "acme/app"
        assert info["token"] == "set"
        assert info["session_id"] == "00112233aabbccdd"
        assert info["engineer"] == "alex/claude/main"
        assert "very-secret-token" not in text(who)

        failed = await session.call_tool("claim_files", {"patterns": ["src/a.ts"]})
        assert failed.is_error
        assert "claim_files failed" in text(failed) and "coord start" in text(failed)

        # the bridge is still alive after a failed call
        again = await session.call_tool("whoami", {})
        assert not again.is_error
