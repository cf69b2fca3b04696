"""The hook dialects of Claude Code, Codex CLI and Cursor (pure, standard library only).

`parse(tool, event, payload)` turns a tool's hook JSON into a `ToolEvent`;
`deny(...)` / `note(...)` produce the JSON (and exit code) the tool reads back.

Inputs (documented shapes):
- Claude Code: `{session_id, cwd, hook_event_name, tool_name, tool_input, agent_id?,
  agent_type?}`; `tool_input.file_path` / `notebook_path` for Edit, Write,
  MultiEdit, NotebookEdit; `tool_input.command` for Bash.
- Codex CLI: the same shape; `apply_patch` carries the patch in
  `tool_input.command` (string, or an argv list); shell tools carry
  `tool_input.command` as a string or an argv list (`["bash", "-lc", "..."]`).
- Cursor: `{conversation_id, generation_id, hook_event_name, workspace_roots,
  tool_name, tool_input}` for preToolUse; `{command, cwd}` for
  beforeShellExecution; `{file_path, edits}` for afterFileEdit.

Outputs:
- Claude Code / Codex PreToolUse deny: `{"hookSpecificOutput": {"hookEventName":
  "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": ...}}`, exit 0.
  Allow: print nothing (an explicit "allow" would skip the tool's own permission prompt).
- Cursor deny: `{"permission": "deny", "user_message": ..., "agent_message": ...}`
  (plus `decision`/`reason`, read by preToolUse), exit 0. Allow: `{}`.
"""

from __future__ import annotations

# typing is not imported at run time: the gate pays for every import on every call.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SHELLS = {"sh", "bash", "zsh", "dash", "ksh"}  # == shell.SHELLS (shell is imported only when needed)

EDIT_TOOLS = {
    "claude": {"Edit", "Write", "MultiEdit", "NotebookEdit"},
    "codex": {"apply_patch", "Edit", "Write"},
    "cursor": {"Write", "Edit", "StrReplace", "MultiEdit", "Delete", "EditNotebook", "MultiStrReplace"},
}
SHELL_TOOLS = {
    "claude": {"Bash"},
    "codex": {"Bash", "shell", "local_shell", "exec_command", "container.exec", "unified_exec"},
    "cursor": {"Shell", "run_terminal_cmd", "Terminal"},
}
PATH_KEYS = ("file_path", "notebook_path", "path", "target_file", "filePath", "target_notebook")
TOOLS = ("claude", "codex", "cursor")
EVENTS = {
    "claude": ("pre-tool-use", "post-tool-use", "session-start", "session-end"),
    "codex": ("pre-tool-use", "post-tool-use", "session-start"),
    "cursor": ("pre-tool-use", "before-shell", "after-edit", "session-start", "session-end"),
}


class ToolEvent:
    """What one hook call is about. kind: pre | post | session-start | session-end."""

    __slots__ = ("kind", "tool", "paths", "command", "session", "agent", "cwd", "roots", "tool_name")

    def __init__(self, kind: str, tool: str) -> None:
        self.kind = kind
        self.tool = tool
        self.paths: list[str] = []
        self.command: str | None = None
        self.session: str | None = None
        self.agent: str | None = None
        self.cwd: str | None = None
        self.roots: list[str] = []
        self.tool_name: str = ""


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _argv_text(value)
    return None


def _argv_text(argv: list[str]) -> str:
    """An argv list as shell text: `["bash", "-lc", "x"]` -> `x`; else the quoted words."""
    import shlex

    if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in SHELLS and argv[1] in ("-c", "-lc", "-ic"):
        return argv[2]
    return " ".join(shlex.quote(a) for a in argv)


def patch_paths(text: str) -> list[str]:
    """apply_patch targets (imported lazily: an Edit/Write call never loads the shell parser)."""
    if "*** " not in text:
        return []
    from coordination.gate import shell

    return shell.patch_paths(text)


def _edit_paths(tool_input: Any) -> list[str]:
    if isinstance(tool_input, str):
        return patch_paths(tool_input)
    if not isinstance(tool_input, dict):
        return []
    paths = [v for k in PATH_KEYS if isinstance(v := tool_input.get(k), str) and v]
    for key in ("command", "patch", "input"):
        text = _text(tool_input.get(key))
        if text:
            paths += patch_paths(text)
    return list(dict.fromkeys(paths))


def parse(tool: str, event: str, payload: dict[str, Any]) -> ToolEvent | None:
    """The event, or None when this call is not something the gate looks at."""
    kind = {
        "pre-tool-use": "pre",
        "before-shell": "pre",
        "post-tool-use": "post",
        "after-edit": "post",
        "session-start": "session-start",
        "session-end": "session-end",
    }.get(event)
    if kind is None or tool not in TOOLS:
        return None
    ev = ToolEvent(kind, tool)
    session = payload.get("session_id") or payload.get("conversation_id")
    ev.session = str(session) if session else None
    agent = payload.get("agent_id")
    ev.agent = str(agent) if agent else None
    cwd = payload.get("cwd")
    ev.cwd = str(cwd) if isinstance(cwd, str) and cwd else None
    roots = payload.get("workspace_roots")
    if isinstance(roots, list):
        ev.roots = [r for r in roots if isinstance(r, str) and r]
    if kind.startswith("session"):
        return ev
    if event == "before-shell":
        ev.tool_name = "Shell"
        ev.command = _text(payload.get("command"))
        return ev if ev.command else None
    if event == "after-edit" and isinstance(payload.get("file_path"), str):
        ev.tool_name = "Edit"
        ev.paths = [payload["file_path"]]
        return ev
    name = str(payload.get("tool_name") or "")
    ev.tool_name = name
    tool_input = payload.get("tool_input")
    if name in SHELL_TOOLS[tool]:
        command = _text(tool_input.get("command") if isinstance(tool_input, dict) else tool_input)
        if not command:
            return None
        if tool == "codex" and "*** Begin Patch" in command:
            ev.paths = patch_paths(command)
            return ev
        ev.command = command
        return ev
    if name in EDIT_TOOLS[tool] or (tool == "codex" and name.endswith("apply_patch")):
        ev.paths = _edit_paths(tool_input)
        return ev if ev.paths else None
    return None


def deny(tool: str, event: str, reason: str) -> tuple[dict[str, Any], int]:
    if tool == "cursor":
        return (
            {
                "permission": "deny",
                "decision": "deny",
                "user_message": reason,
                "agent_message": reason,
                "reason": reason,
            },
            0,
        )
    return (
        {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": reason,
            }
        },
        0,
    )


def note(tool: str, event: str, text: str, warning: bool = False, context: bool = True) -> dict[str, Any] | None:
    """Context for the agent (and, for a warning, a message to the user); None: nothing."""
    if tool == "cursor":
        if event in ("pre-tool-use", "before-shell"):
            return {"agent_message": text, "user_message": text} if warning else {}
        return None
    hook_event = {
        "pre-tool-use": "PreToolUse",
        "post-tool-use": "PostToolUse",
        "session-start": "SessionStart",
    }.get(event)
    out: dict[str, Any] = {}
    if warning:
        out["systemMessage"] = text
    if hook_event and context:
        out["hookSpecificOutput"] = {"hookEventName": hook_event, "additionalContext": text}
    return out or None
