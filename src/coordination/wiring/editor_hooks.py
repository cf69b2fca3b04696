"""Registration of coord's edit gate in editor settings files.

Every registered command runs `.coordination/bin/coord-gate TOOL EVENT`, a
launcher `coord init` writes per checkout (gitignored) with the absolute path
of the Python that has coord installed, so the hook works with a bare PATH
(an editor started from a desktop, coord installed in a venv). The tracked
settings files stay free of machine paths: the command finds the launcher by
walking up from the project directory using shell builtins only.

- Claude Code, `.claude/settings.json`: PreToolUse and PostToolUse for
  `Edit|Write|MultiEdit|NotebookEdit|Bash`, SessionStart, SessionEnd.
- Codex CLI, `.codex/config.toml` (managed block): PreToolUse and PostToolUse for
  `apply_patch` and the shell tools, SessionStart.
- Cursor, `.cursor/hooks.json` (`"version": 1`): preToolUse for the edit tools,
  beforeShellExecution, afterFileEdit, sessionStart, sessionEnd; with
  `enforce = strict` the gating hooks carry `"failClosed": true`.

Everything else in these files (the user's permissions, other hooks, other
matchers) is kept.
"""

from __future__ import annotations

import copy
import json
from typing import Any

LAUNCHER = ".coordination/bin/coord-gate"
GATE_MARK = "/.coordination/bin/coord-gate"
LEGACY_COMMANDS = ("coord hook claude-pre-tool-use", "coord hook codex-pre-tool-use")
CLAUDE_MATCHER = "Edit|Write|MultiEdit|NotebookEdit|Bash"
CODEX_MATCHER = "^(apply_patch|Bash|shell|local_shell|exec_command|unified_exec|Edit|Write)$"
CURSOR_EDIT_MATCHER = "Write|Edit|StrReplace|MultiEdit|Delete|EditNotebook"
HOOK_TIMEOUT_SEC = 15

CLAUDE_EVENTS = {
    "PreToolUse": ("pre-tool-use", CLAUDE_MATCHER),
    "PostToolUse": ("post-tool-use", CLAUDE_MATCHER),
    "SessionStart": ("session-start", None),
    "SessionEnd": ("session-end", None),
}
CODEX_EVENTS = {
    "PreToolUse": ("pre-tool-use", CODEX_MATCHER),
    "PostToolUse": ("post-tool-use", CODEX_MATCHER),
    "SessionStart": ("session-start", None),
}
CURSOR_EVENTS = {
    "preToolUse": ("pre-tool-use", CURSOR_EDIT_MATCHER, True),
    "beforeShellExecution": ("before-shell", None, True),
    "afterFileEdit": ("after-edit", None, False),
    "sessionStart": ("session-start", None, False),
    "sessionEnd": ("session-end", None, False),
}
GATING_EVENTS = {"pre-tool-use", "before-shell"}


def gate_command(tool: str, event: str, strict: bool = False) -> str:
    """The shell command a tool runs for `event`: find the launcher, exec it.

    Shell builtins only (no PATH lookups). Without a launcher (coord init not run
    in this checkout) it says so on stderr and exits 0, or 2 (block) when strict.
    """
    start = "${CLAUDE_PROJECT_DIR:-$PWD}" if tool == "claude" else "$PWD"
    missing = "exit 2" if strict and event in GATING_EVENTS else "exit 0"
    return (
        f'd="{start}"; while [ -n "$d" ] && [ ! -x "$d/{LAUNCHER}" ]; do d="${{d%/*}}"; done; '
        f'if [ -n "$d" ]; then exec "$d/{LAUNCHER}" {tool} {event}; fi; '
        f'echo "coord: edit gate not installed in this checkout (run: coord init --tool {tool})" >&2; {missing}'
    )


def is_coord_command(command: Any) -> bool:
    text = str(command or "").strip()
    return GATE_MARK in text or any(text.startswith(c) for c in LEGACY_COMMANDS)


def _is_coord_hook(hook: Any) -> bool:
    return isinstance(hook, dict) and is_coord_command(hook.get("command"))


# -- Claude Code ------------------------------------------------------------------


def claude_entry(event: str = "PreToolUse", strict: bool = False) -> dict[str, Any]:
    gate_event, matcher = CLAUDE_EVENTS[event]
    entry: dict[str, Any] = {}
    if matcher:
        entry["matcher"] = matcher
    entry["hooks"] = [
        {"type": "command", "command": gate_command("claude", gate_event, strict), "timeout": HOOK_TIMEOUT_SEC}
    ]
    return entry


def claude_has_hook(settings: Any) -> bool:
    return bool(registered_commands(settings, "claude").get("PreToolUse"))


def registered_commands(settings: Any, tool: str) -> dict[str, list[tuple[str | None, str]]]:
    """coord's commands per event as (matcher, command), from a Claude/Codex/Cursor hooks document."""
    found: dict[str, list[tuple[str | None, str]]] = {}
    if not isinstance(settings, dict):
        return found
    hooks = settings.get("hooks") or {}
    if not isinstance(hooks, dict):
        return found
    for event, entries in hooks.items():
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            if tool == "cursor":
                if is_coord_command(entry.get("command")):
                    found.setdefault(event, []).append((entry.get("matcher"), str(entry["command"])))
                continue
            for hook in entry.get("hooks") or []:
                if _is_coord_hook(hook):
                    found.setdefault(event, []).append((entry.get("matcher"), str(hook["command"])))
    return found


def _merge_nested(data: dict[str, Any], wanted: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    """Claude/Codex-shaped hooks: replace coord's entries by `wanted`, keep everything else."""
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ValueError(f"{name}: 'hooks' is not an object")
    for event in list(hooks):
        entries = hooks[event]
        if not isinstance(entries, list):
            continue
        kept: list[Any] = []
        for entry in entries:
            if isinstance(entry, dict) and any(_is_coord_hook(h) for h in entry.get("hooks") or []):
                others = [h for h in entry.get("hooks") or [] if not _is_coord_hook(h)]
                if others:
                    kept.append({**entry, "hooks": others})
                continue
            kept.append(entry)
        hooks[event] = kept
    for event, entry in wanted.items():
        entries = hooks.setdefault(event, [])
        if not isinstance(entries, list):
            raise ValueError(f"{name}: 'hooks.{event}' is not a list")
        entries.append(entry)
    for event in [e for e, v in hooks.items() if v == []]:
        del hooks[event]
    return data


def merge_claude_settings(settings: Any, strict: bool = False) -> dict[str, Any]:
    """A copy of `settings` with coord's hooks present exactly once per event."""
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise ValueError(".claude/settings.json is not a JSON object")
    data: dict[str, Any] = copy.deepcopy(settings)
    wanted = {event: claude_entry(event, strict) for event in CLAUDE_EVENTS}
    return _merge_nested(data, wanted, ".claude/settings.json")


# -- Codex CLI ----------------------------------------------------------------------


def codex_hooks_toml(strict: bool = False) -> str:
    """The `[[hooks.*]]` tables of coord's managed block in `.codex/config.toml`."""
    parts = []
    for event, (gate_event, matcher) in CODEX_EVENTS.items():
        parts.append(f"[[hooks.{event}]]")
        if matcher:
            parts.append(f"matcher = '{matcher}'")
        parts.append("")
        parts.append(f"[[hooks.{event}.hooks]]")
        parts.append('type = "command"')
        parts.append(f"command = '{gate_command('codex', gate_event, strict)}'")
        parts.append(f"timeout = {HOOK_TIMEOUT_SEC}")
        if gate_event == "pre-tool-use":
            parts.append('statusMessage = "coord: checking claims"')
        parts.append("")
    return "\n".join(parts).rstrip("\n") + "\n"


# -- Cursor -------------------------------------------------------------------------


def merge_cursor_hooks(existing: Any, strict: bool = False) -> dict[str, Any]:
    """`.cursor/hooks.json` with coord's hooks present exactly once per event."""
    if existing is None:
        existing = {}
    if not isinstance(existing, dict):
        raise ValueError(".cursor/hooks.json is not a JSON object")
    data: dict[str, Any] = copy.deepcopy(existing)
    data["version"] = 1
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ValueError(".cursor/hooks.json: 'hooks' is not an object")
    for event in list(hooks):
        if isinstance(hooks[event], list):
            hooks[event] = [e for e in hooks[event] if not (isinstance(e, dict) and is_coord_command(e.get("command")))]
    for event, (gate_event, matcher, gating) in CURSOR_EVENTS.items():
        entry: dict[str, Any] = {"command": gate_command("cursor", gate_event, strict), "timeout": HOOK_TIMEOUT_SEC}
        if matcher:
            entry["matcher"] = matcher
        if gating and strict:
            entry["failClosed"] = True
        entries = hooks.setdefault(event, [])
        if not isinstance(entries, list):
            raise ValueError(f".cursor/hooks.json: 'hooks.{event}' is not a list")
        entries.append(entry)
    return data


# -- shared -------------------------------------------------------------------------


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


def merge_mcp_servers(existing: dict[str, Any], entry: dict[str, Any], replace: bool = False) -> dict[str, Any]:
    """Add `mcpServers.coord` when missing; an existing coord entry (maybe holding the
    user's own values) is left as it is unless `replace`. Other servers are kept."""
    data = copy.deepcopy(existing)
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ValueError("'mcpServers' is not an object")
    if replace or "coord" not in servers:
        servers["coord"] = copy.deepcopy(entry)
    return data


def launcher_text(python: str, search_path: str) -> str:
    """`.coordination/bin/coord-gate`: run the gate with this Python, without site
    initialisation (`-S`: faster start), importing coord from `search_path`."""
    import shlex

    code = "import sys; sys.path.insert(0, sys.argv.pop(1)); from coordination.gate.run import main; sys.exit(main())"
    return (
        "#!/bin/sh\n"
        "# coord:gate -- written by `coord init` for this checkout (not tracked). The editor\n"
        "# hooks run it; re-run `coord init` after moving or reinstalling coord.\n"
        f'exec {shlex.quote(python)} -S -c {shlex.quote(code)} {shlex.quote(search_path)} "$@"\n'
    )
