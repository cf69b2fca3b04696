"""`coord init --transport http|stdio` with the real CLI: the registration each tool documents,
no secret in any tracked file, and `coord doctor` asking the service's /mcp for its tools."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.e2e.conftest import Coord, LiveServer
from tests.wiring.repos import make_repo

SECRET = "shared-secret-9f2c"  # noqa: S105 - a test token
URL = "https://coord.acme.dev"

HEADERS = {"type": "object", "additionalProperties": {"type": "string"}}
# Claude Code: an "http" server has a url and optional headers (${VAR} / ${VAR:-default} expanded).
CLAUDE_HTTP = {
    "type": "object",
    "required": ["type", "url"],
    "properties": {"type": {"const": "http"}, "url": {"type": "string", "pattern": "^https?://"}, "headers": HEADERS},
    "additionalProperties": False,
}
# Cursor: a remote server is a url with optional headers (${env:VAR} expanded); no command.
CURSOR_HTTP = {
    "type": "object",
    "required": ["url"],
    "properties": {"url": {"type": "string", "pattern": "^https?://"}, "headers": HEADERS},
    "additionalProperties": False,
}
# Codex: a streamable HTTP server is `url` plus bearer_token_env_var / http_headers / env_http_headers
# (an inline bearer_token is rejected; `command`/`env` belong to stdio servers only).
CODEX_HTTP = {
    "type": "object",
    "required": ["url"],
    "properties": {
        "url": {"type": "string", "pattern": "^https?://"},
        "bearer_token_env_var": {"type": "string", "pattern": "^[A-Z_][A-Z0-9_]*$"},
        "http_headers": HEADERS,
        "env_http_headers": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^[A-Z_]+$"}},
    },
    "additionalProperties": False,
}
MCP_FILE = {"claude": ".mcp.json", "cursor": ".cursor/mcp.json", "codex": ".codex/config.toml"}


def _entry(root: Path, tool: str) -> dict[str, Any]:
    text = (root / MCP_FILE[tool]).read_text()
    data = tomllib.loads(text)["mcp_servers"] if tool == "codex" else json.loads(text)["mcpServers"]
    return dict(data["coord"])


def _tracked_text(root: Path) -> str:
    names = subprocess.run(
        ["git", "ls-files", "--others", "--cached", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return "\n".join((root / n).read_text(errors="replace") for n in names if (root / n).is_file())


@pytest.mark.parametrize("tool", ["claude", "codex", "cursor"])
def test_http_registration_is_the_documented_shape_and_holds_no_secret(tool: str, tmp_path: Path, coord: Coord) -> None:
    root, _ = make_repo(tmp_path)
    out = coord.run(
        "init", "--tool", tool, "--mode", "shared", "--url", URL, "--token", SECRET,
        "--transport", "http", "--yes", cwd=root, check=True,
    )  # fmt: skip
    assert SECRET not in out.stdout + out.stderr
    assert "export" in out.stdout and "COORD_AUTH_TOKEN" in out.stdout
    entry = _entry(root, tool)
    env_text = (root / ".coordination" / "local.env").read_text()
    repo_id = next(x.split("=", 1)[1] for x in env_text.splitlines() if x.startswith("COORD_REPO_ID="))
    schema = {"claude": CLAUDE_HTTP, "cursor": CURSOR_HTTP, "codex": CODEX_HTTP}[tool]
    jsonschema.validate(entry, schema)
    assert entry["url"] == f"{URL}/mcp"
    if tool == "codex":
        assert entry["bearer_token_env_var"] == "COORD_AUTH_TOKEN"
        assert entry["http_headers"] == {"X-Coord-Repo": repo_id}
        assert entry["env_http_headers"] == {"X-Coord-Engineer": "COORD_ENGINEER"}
        hooks = tomllib.loads((root / ".codex" / "config.toml").read_text())["hooks"]["PreToolUse"]
        assert hooks, "the edit hook stays registered"
    else:
        ref = "${env:COORD_AUTH_TOKEN}" if tool == "cursor" else "${COORD_AUTH_TOKEN}"
        assert entry["headers"]["Authorization"] == f"Bearer {ref}"
        assert entry["headers"]["X-Coord-Repo"] == repo_id
    # the token is only in the gitignored, 0600 local.env
    assert SECRET not in _tracked_text(root)
    assert SECRET in (root / ".coordination" / "local.env").read_text()
    # idempotent
    again = coord.run("init", "--tool", tool, "--transport", "http", "--yes", cwd=root, check=True)
    assert "nothing to change" in again.stdout


@pytest.mark.parametrize("tool", ["claude", "codex", "cursor"])
def test_transport_defaults_by_where_the_service_runs_and_can_be_switched(
    tool: str, tmp_path: Path, coord: Coord
) -> None:
    remote, _ = make_repo(tmp_path, "remote")
    coord.run("init", "--tool", tool, "--mode", "shared", "--url", URL, "--token", SECRET, "--yes",
              cwd=remote, check=True)  # fmt: skip
    assert _entry(remote, tool)["url"] == f"{URL}/mcp"  # another machine: http by default

    local, _ = make_repo(tmp_path, "local")
    coord.run("init", "--tool", tool, "--mode", "shared", "--url", "http://127.0.0.1:18080", "--token", SECRET,
              "--yes", cwd=local, check=True)  # fmt: skip
    assert _entry(local, tool)["command"] == "coord-mcp"  # this machine: stdio by default

    coord.run("init", "--tool", tool, "--transport", "http", "--yes", cwd=local, check=True)
    assert _entry(local, tool)["url"] == "http://127.0.0.1:18080/mcp"
    coord.run("init", "--tool", tool, "--transport", "stdio", "--yes", cwd=local, check=True)
    entry = _entry(local, tool)
    assert entry["command"] == "coord-mcp" and "url" not in entry


def test_doctor_asks_the_mcp_endpoint_for_its_tools(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root, _ = make_repo(tmp_path)
    coord.run(
        "init", "--tool", "claude", "--mode", "shared", "--url", live_server.url, "--token", live_server.token,
        "--transport", "http", "--yes", cwd=root, check=True,
    )  # fmt: skip
    without = coord.run("doctor", cwd=root)
    assert "$COORD_AUTH_TOKEN exported" in without.stdout and "will send no token" in without.stdout
    doctor = coord.run("doctor", cwd=root, env={"COORD_AUTH_TOKEN": live_server.token})
    line = next(x for x in doctor.stdout.splitlines() if "MCP endpoint" in x)
    assert line.lstrip().startswith("ok") and f"{live_server.url}/mcp" in line and "tools" in line, doctor.stdout
    assert live_server.token not in doctor.stdout


def test_doctor_reports_an_endpoint_without_mcp(tmp_path: Path) -> None:
    from coordination import clientenv
    from coordination.cli.doctor_cmd import _mcp_endpoint_check

    env = clientenv.resolve(
        {"COORD_API_URL": "http://127.0.0.1:9", "COORD_AUTH_TOKEN": "t", "COORD_REPO_ID": "a/b"}, start=tmp_path
    )
    check = _mcp_endpoint_check(env)
    assert not check.ok and "127.0.0.1:9/mcp" in check.detail and check.fix
