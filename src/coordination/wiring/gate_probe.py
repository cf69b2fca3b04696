"""`coord doctor`'s test of the edit gate: run every registered hook command the way
its tool would, against a scope held for a moment by a throwaway engineer.

For each tool wired in the repo it reads the tracked settings file, takes coord's
gating commands (Claude Code / Codex `PreToolUse`, Cursor `preToolUse` and
`beforeShellExecution`), and runs each with `/bin/sh -c` in the repo root,
`PATH=/usr/bin:/bin` (what an editor started from a desktop has), and that tool's
documented hook JSON on stdin: an edit (and a shell write) of a probe file the
throwaway engineer holds. The check passes only on a deny. Anything else is a
fail-open setup and is reported as such: an allow, an exit code other than 0/2
(127: command not found), a timeout, unreadable output. For Codex it also
reports a project Codex does not trust (Codex then skips project hooks).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coordination import clientenv
from coordination.client import CoordClient, CoordError, claim_item
from coordination.wiring import editor_hooks

BARE_PATH = "/usr/bin:/bin"
PROBE_TIMEOUT_SEC = 20.0


@dataclass
class ProbeResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def launcher_check(root: Path, tool: str) -> ProbeResult:
    path = root / editor_hooks.LAUNCHER
    fix = f"coord init --tool {tool}"
    name = "edit gate launcher"
    if not path.is_file():
        return ProbeResult(name, False, f"{editor_hooks.LAUNCHER} missing: every hook fails open", fix)
    if not os.access(path, os.X_OK):
        return ProbeResult(name, False, f"{editor_hooks.LAUNCHER} is not executable", f"chmod +x {path}")
    text = path.read_text(encoding="utf-8", errors="replace")
    python = _launcher_python(text)
    if python and not os.access(python, os.X_OK):
        return ProbeResult(name, False, f"its Python {python} is gone (coord moved or was reinstalled)", fix)
    return ProbeResult(name, True, f"{editor_hooks.LAUNCHER} -> {python or '?'}")


def _launcher_python(text: str) -> str | None:
    import shlex

    for line in text.splitlines():
        if line.startswith("exec "):
            try:
                return shlex.split(line)[1]
            except (ValueError, IndexError):
                return None
    return None


def gating_commands(root: Path, tool: str) -> list[tuple[str, str | None, str]]:
    """(event, matcher, command) of coord's gating hooks in the tool's settings file."""
    doc: Any
    try:
        if tool == "claude":
            doc = json.loads((root / ".claude" / "settings.json").read_text(encoding="utf-8"))
        elif tool == "codex":
            doc = tomllib.loads((root / ".codex" / "config.toml").read_text(encoding="utf-8"))
        else:
            doc = json.loads((root / ".cursor" / "hooks.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    events = ("preToolUse", "beforeShellExecution") if tool == "cursor" else ("PreToolUse",)
    found = editor_hooks.registered_commands(doc, tool)
    return [(event, matcher, command) for event in events for matcher, command in found.get(event, [])]


def _payloads(tool: str, event: str, root: Path, rel: str, session: str) -> list[tuple[str, dict[str, Any]]]:
    target = str(root / rel)
    if tool == "cursor":
        base = {"conversation_id": session, "generation_id": "doctor", "workspace_roots": [str(root)]}
        if event == "beforeShellExecution":
            return [("shell write", {**base, "hook_event_name": event, "command": f"echo x > {rel}", "cwd": str(root)})]
        return [("edit", {**base, "hook_event_name": event, "tool_name": "Write", "tool_input": {"file_path": target}})]
    base = {"session_id": session, "cwd": str(root), "hook_event_name": "PreToolUse"}
    if tool == "codex":
        patch = f"*** Begin Patch\n*** Update File: {rel}\n@@\n-a\n+b\n*** End Patch\n"
        return [
            ("apply_patch", {**base, "tool_name": "apply_patch", "tool_input": {"command": patch}}),
            (
                "shell write",
                {**base, "tool_name": "shell", "tool_input": {"command": ["bash", "-lc", f"echo x > {rel}"]}},
            ),
        ]
    return [
        (
            "Edit",
            {**base, "tool_name": "Edit", "tool_input": {"file_path": target, "old_string": "a", "new_string": "b"}},
        ),
        ("Bash write", {**base, "tool_name": "Bash", "tool_input": {"command": f"echo x > {rel}"}}),
    ]


def _denied(tool: str, proc: subprocess.CompletedProcess[str]) -> tuple[bool, str]:
    if proc.returncode == 2:
        return True, "denied (exit 2)"
    if proc.returncode != 0:
        hint = " (command not found)" if proc.returncode == 127 else ""
        tail = (proc.stderr.strip().splitlines() or [""])[-1][:160]
        return (
            False,
            f"exit {proc.returncode}{hint}: the tool treats it as a non-blocking error and the edit proceeds. {tail}",
        )
    try:
        out = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except ValueError:
        return False, f"output is not JSON ({proc.stdout[:80]!r}): the edit proceeds"
    if tool == "cursor":
        verdict = out.get("permission") if isinstance(out, dict) else None
    else:
        verdict = (
            ((out or {}).get("hookSpecificOutput") or {}).get("permissionDecision") if isinstance(out, dict) else None
        )
    if verdict == "deny":
        return True, "denied"
    message = (out.get("systemMessage") if isinstance(out, dict) else None) or proc.stderr.strip()[:160]
    return False, f"allowed an edit of a held file{': ' + message if message else ''}"


def run_command(root: Path, tool: str, command: str, payload: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": BARE_PATH, "HOME": os.environ.get("HOME", "/")}
    if tool == "claude":
        env["CLAUDE_PROJECT_DIR"] = str(root)
    return subprocess.run(
        ["/bin/sh", "-c", command],
        cwd=root,
        env=env,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_SEC,
        check=False,
    )


def codex_trust_check(root: Path) -> ProbeResult:
    """Codex runs a project's `.codex/config.toml` hooks only when the project is trusted."""
    home = Path(os.environ.get("CODEX_HOME") or "~/.codex").expanduser()
    name = "edit gate codex trust"
    table = f"[projects.{json.dumps(str(root))}]"
    fix = f'open the project in Codex and trust it, or add {table} trust_level = "trusted" to {home / "config.toml"}'
    try:
        data = tomllib.loads((home / "config.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        data = {}
    projects = data.get("projects") or {}
    for path in (str(root), str(root.resolve())):
        entry = projects.get(path) if isinstance(projects, dict) else None
        if isinstance(entry, dict) and entry.get("trust_level") == "trusted":
            return ProbeResult(name, True, f"{path} is trusted")
    return ProbeResult(name, False, f"{root} is not a trusted Codex project: Codex skips its hooks (fail open)", fix)


def probe(root: Path, tools: list[str], env: clientenv.ClientEnv) -> list[ProbeResult]:
    results: list[ProbeResult] = []
    gated = [t for t in tools if t in ("claude", "codex", "cursor")]
    if not gated:
        return results
    results.append(launcher_check(root, gated[0]))
    if "codex" in gated:
        results.append(codex_trust_check(root))
    rel = f".coord-doctor-probe-{secrets.token_hex(4)}.txt"
    stranger = f"coord-doctor-{secrets.token_hex(4)}/probe/main"
    session = f"coord-doctor-{secrets.token_hex(6)}"
    try:
        client = CoordClient.from_env(env, timeout=5.0)
    except CoordError as exc:
        return [*results, ProbeResult("edit gate exercise", False, f"cannot reach coord: {exc.detail}")]
    with client:
        try:
            held = client.create_claims(
                engineer=stranger,
                repo_id=env.repo_id,
                claims=[claim_item(rel)],
                description="coord doctor: probe of the edit gate (released at once)",
                ttl_hours=0.05,
            )
        except CoordError as exc:
            return [*results, ProbeResult("edit gate exercise", False, f"could not hold a probe scope: {exc.detail}")]
        try:
            for tool in gated:
                results += _exercise(root, tool, rel, session)
        finally:
            for claim in held.get("claims") or []:
                with contextlib.suppress(CoordError):
                    client.release_claim(int(claim["id"]), engineer=stranger)
            # a gate that failed open may have claimed the probe file for the probe session
            with contextlib.suppress(CoordError):
                client.release_claims(engineer=stranger, repo_id=env.repo_id, session_id=session, force=True)
    return results


def _exercise(root: Path, tool: str, rel: str, session: str) -> list[ProbeResult]:
    fix = f"coord init --tool {tool}"
    commands = gating_commands(root, tool)
    if not commands:
        return [ProbeResult(f"edit gate {tool}", False, "no coord gate registered: edits are not checked", fix)]
    results = []
    for event, _matcher, command in commands:
        for label, payload in _payloads(tool, event, root, rel, session):
            name = f"edit gate {tool} {event} ({label})"
            try:
                proc = run_command(root, tool, command, payload)
            except subprocess.TimeoutExpired:
                results.append(
                    ProbeResult(
                        name,
                        False,
                        f"timed out after {PROBE_TIMEOUT_SEC:.0f}s: the tool gives up, the edit proceeds (fail open)",
                        fix,
                    )
                )
                continue
            ok, detail = _denied(tool, proc)
            results.append(ProbeResult(name, ok, detail if ok else f"fail open: {detail}", "" if ok else fix))
    return results
