"""The editor pre-edit hook (Claude Code / Codex PreToolUse), kept free of CLI imports.

It runs before every edit an agent makes, so it must start fast: no Typer,
no Rich, no server settings; one HTTP round trip to the service.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO


def read_payload(stream: TextIO) -> dict[str, Any]:
    try:
        raw = stream.read()
    except (OSError, ValueError):
        return {}
    try:
        data = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def run(tool: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> None:
    """Always returns normally: a refusal is a JSON decision, an internal failure a warning (fail open)."""
    from coordination.wiring import guards

    payload = read_payload(stdin)
    cwd = Path(str(payload.get("cwd") or Path.cwd()))
    paths = guards.claude_paths(payload) if tool == "claude" else guards.codex_paths(payload)
    if not paths:
        return
    try:
        session = payload.get("session_id")
        decision = guards.guard_edit(paths, cwd, tool, tool_session=str(session) if session else None)
    except Exception as exc:  # noqa: BLE001 - a hook must never block on its own bug
        decision = guards.EditDecision(warning=f"coord hook failed ({exc}); edit allowed.")
    output = decision.hook_output()
    if output is not None:
        print(json.dumps(output), file=stdout)
    if decision.warning:
        print(decision.warning, file=stderr)
