"""Load and render the files `coord init` lays down (package data in
`coordination/templates/`). Placeholders are `{{name}}`."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

_VAR_RE = re.compile(r"{{\s*([a-z_]+)\s*}}")

TOOLS = ("claude", "codex", "cursor")

TOOL_NOTES = {
    "claude": (
        "A PreToolUse hook (`.claude/settings.json`) asks coord before every Edit/Write/Bash write:\n"
        "an edit to a file another engineer holds is refused with the holder and expiry;\n"
        "an unclaimed file is claimed for this session automatically."
    ),
    "codex": (
        "A PreToolUse hook (`.codex/config.toml`) asks coord before every apply_patch and shell write:\n"
        "an edit to a file another engineer holds is refused with the holder and expiry;\n"
        "an unclaimed file is claimed for this session automatically."
    ),
    "cursor": (
        "Cursor hooks (`.cursor/hooks.json`) ask coord before every edit and shell command:\n"
        "a write to a file another engineer holds is refused with the holder and expiry;\n"
        "an unclaimed file is claimed for this session automatically."
    ),
}


def load(name: str) -> str:
    return resources.files("coordination.templates").joinpath(name).read_text(encoding="utf-8")


def render(name: str, **values: str) -> str:
    text = load(name)

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template {name} needs a value for {key!r}")
        return values[key]

    return _VAR_RE.sub(sub, text)


def protocol(tool: str) -> str:
    return render("protocol.md", tool=tool, tool_note=TOOL_NOTES[tool]).rstrip("\n") + "\n"


def codex_config(strict: bool = False, transport: str = "stdio", api_url: str = "", repo_id: str = "") -> str:
    """coord's managed block of `.codex/config.toml`: the MCP server (the `coord-mcp`
    command, or with `transport="http"` the service's `/mcp`, the token read from
    $COORD_AUTH_TOKEN) and the edit gate's hooks."""
    from coordination.wiring import editor_hooks

    server = codex_http_server(api_url, repo_id) if transport == "http" else load("codex-mcp-stdio.toml")
    return render("codex-config.toml", mcp_server=server, hooks=editor_hooks.codex_hooks_toml(strict))


def mcp_entry(tool: str) -> dict[str, Any]:
    """The `mcpServers.coord` entry of `.mcp.json` (claude) or `.cursor/mcp.json`."""
    name = "cursor-mcp.json" if tool == "cursor" else "mcp.json"
    data: dict[str, Any] = json.loads(load(name))
    return dict(data["mcpServers"]["coord"])


TRANSPORTS = ("http", "stdio")
TOKEN_ENV = "COORD_AUTH_TOKEN"  # noqa: S105 - the name of the variable, not a token
ENGINEER_ENV = "COORD_ENGINEER"


def mcp_url(api_url: str) -> str:
    """The service's MCP endpoint."""
    return api_url.rstrip("/") + "/mcp"


def mcp_http_entry(tool: str, api_url: str, repo_id: str) -> dict[str, Any]:
    """The `mcpServers.coord` entry for the service's `/mcp` (claude, cursor): the URL and
    repo id are written as they are, the token and engineer only as references to the
    environment of the editor (`${VAR}` in Claude Code, `${env:VAR}` in Cursor)."""
    if tool == "cursor":
        token, engineer = f"${{env:{TOKEN_ENV}}}", f"${{env:{ENGINEER_ENV}}}"
        entry: dict[str, Any] = {}
    else:
        token, engineer = f"${{{TOKEN_ENV}}}", f"${{{ENGINEER_ENV}:-}}"
        entry = {"type": "http"}
    entry["url"] = mcp_url(api_url)
    entry["headers"] = {
        "Authorization": f"Bearer {token}",
        "X-Coord-Repo": repo_id,
        "X-Coord-Engineer": engineer,
    }
    return entry


def codex_http_server(api_url: str, repo_id: str) -> str:
    """`[mcp_servers.coord]` for the service's `/mcp`: URL and repo id as they are, the
    token and engineer only as the names of environment variables."""
    url, repo = json.dumps(mcp_url(api_url)), json.dumps(repo_id)
    return (
        "# The service's MCP endpoint; Codex sends $COORD_AUTH_TOKEN as the bearer token and\n"
        "# $COORD_ENGINEER as X-Coord-Engineer (see docs/integrations/codex-cli.md).\n"
        "[mcp_servers.coord]\n"
        f"url = {url}\n"
        f'bearer_token_env_var = "{TOKEN_ENV}"\n'
        f'http_headers = {{ "X-Coord-Repo" = {repo} }}\n'
        f'env_http_headers = {{ "X-Coord-Engineer" = "{ENGINEER_ENV}" }}\n'
        "\n"
    )


def mcp_document(tool: str) -> dict[str, Any]:
    name = "cursor-mcp.json" if tool == "cursor" else "mcp.json"
    return dict(json.loads(load(name)))


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def reference_files() -> dict[str, str]:
    """The copies under the repository's top-level `templates/` directory, for people
    who wire a repo by hand (kept equal to what `coord init` writes by a test)."""
    from coordination.wiring import editor_hooks
    from coordination.wiring import managed_blocks as mb

    return {
        ".cursor/mcp.json.example": load("cursor-mcp.json"),
        ".cursor/rules/coord.mdc": render("cursor-rule.mdc", protocol=protocol("cursor")),
        ".mcp.json.example": load("mcp.json"),
        ".codex/config.toml.example": mb.render_block(codex_config(), mb.HASH),
        "CLAUDE.md": mb.render_block(protocol("claude"), mb.MARKDOWN),
        "AGENTS.md": mb.render_block(protocol("codex"), mb.MARKDOWN),
        "git-hooks/pre-push": render("pre-push.sh", coord_bin="coord"),
        ".claude/settings.json.example": dump_json(editor_hooks.merge_claude_settings({})),
        ".cursor/hooks.json.example": dump_json(editor_hooks.merge_cursor_hooks({})),
    }
