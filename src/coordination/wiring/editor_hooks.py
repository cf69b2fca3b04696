"""Registration of coord's pre-edit hook in editor settings files.

Claude Code: `.claude/settings.json`, `hooks.PreToolUse[]` gets one entry
`{"matcher": "Edit|Write|MultiEdit|NotebookEdit", "hooks": [{"type": "command",
"command": "coord hook claude-pre-tool-use", "timeout": 15}]}`. Everything else
in the file (the user's permissions, other hooks, other matchers) is kept.
"""

from __future__ import annotations

import copy
import json
from typing import Any

CLAUDE_MATCHER = "Edit|Write|MultiEdit|NotebookEdit"
CLAUDE_COMMAND = "coord hook claude-pre-tool-use"
HOOK_TIMEOUT_SEC = 15


def claude_entry() -> dict[str, Any]:
    return {
        "matcher": CLAUDE_MATCHER,
        "hooks": [{"type": "command", "command": CLAUDE_COMMAND, "timeout": HOOK_TIMEOUT_SEC}],
    }


def _is_coord_hook(hook: Any) -> bool:
    return isinstance(hook, dict) and str(hook.get("command", "")).strip().startswith(CLAUDE_COMMAND)


def claude_has_hook(settings: Any) -> bool:
    if not isinstance(settings, dict):
        return False
    entries = (settings.get("hooks") or {}).get("PreToolUse") or []
    if not isinstance(entries, list):
        return False
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if any(_is_coord_hook(h) for h in entry.get("hooks") or []):
            return True
    return False


def merge_claude_settings(settings: Any) -> dict[str, Any]:
    """Return a copy of `settings` with coord's PreToolUse hook present exactly once.

    An existing coord entry is replaced in place by the current one; any other hook
    sharing its entry is kept in that entry.
    """
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise ValueError(".claude/settings.json is not a JSON object")
    data: dict[str, Any] = copy.deepcopy(settings)
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ValueError(".claude/settings.json: 'hooks' is not an object")
    entries = hooks.setdefault("PreToolUse", [])
    if not isinstance(entries, list):
        raise ValueError(".claude/settings.json: 'hooks.PreToolUse' is not a list")
    wanted = claude_entry()
    placed = False
    kept: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict) and any(_is_coord_hook(h) for h in entry.get("hooks") or []):
            others = [h for h in entry.get("hooks") or [] if not _is_coord_hook(h)]
            if others:
                rest = dict(entry)
                rest["hooks"] = others
                kept.append(rest)
            if not placed:
                kept.append(wanted)
                placed = True
            continue
        kept.append(entry)
    if not placed:
        kept.append(wanted)
    hooks["PreToolUse"] = kept
    return data


def parse_json_object(text: str, name: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name} is not valid JSON ({exc}); fix or move it, then re-run") from None
    if not isinstance(data, dict):
        raise ValueError(f"{name} is not a JSON object")
    return data


def merge_mcp_servers(existing: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """Add `mcpServers.coord` when missing; an existing coord entry (maybe holding the
    user's own values) is left as it is. Other servers are kept."""
    data = copy.deepcopy(existing)
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ValueError("'mcpServers' is not an object")
    if "coord" not in servers:
        servers["coord"] = copy.deepcopy(entry)
    return data
