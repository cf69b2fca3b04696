"""The edit gate end to end: `coord init --tool claude|codex|cursor` in a throwaway repo,
then the exact commands the settings files register, run by `sh -c` with a bare
`PATH=/usr/bin:/bin` (an editor started from a desktop), fed each tool's documented
hook JSON, against a real server."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coordination.wiring import editor_hooks
from tests.e2e.conftest import Coord, LiveServer
from tests.support.invariant import assert_server_exclusive
from tests.wiring.repos import make_repo

pytestmark = pytest.mark.integration

BARE_PATH = "/usr/bin:/bin"
HOLDER = "bob/claude/main"

# Shell writes the gate must see (each writes `src/a.ts`, which bob holds).
SHELL_WRITES = [
    "echo hi > src/a.ts",
    "printf x >> src/a.ts",
    "cat <<'EOF' > src/a.ts\nbody > other.txt\nEOF",
    "echo x | tee src/a.ts",
    "sed -i 's/1/2/' src/a.ts",
    "mv src/b.ts src/a.ts",
    "cp src/b.ts src/a.ts",
    "rm -f src/a.ts",
    "git checkout -- src/a.ts",
    "python3 -c \"open('src/a.ts', 'w').write('x')\"",
    "node -e \"require('fs').writeFileSync('src/a.ts', 'x')\"",
    "cd . && bash -c 'echo x > src/a.ts'",
]
READ_ONLY = ["ls -la src", "cat src/a.ts | wc -l", "git status --short", "grep -rn export src > /dev/null"]


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with a short idle timeout, for the keep-alive scenario."""
    from tests.support.server import start_server

    token = secrets.token_urlsafe(24)
    server = start_server(
        tmp_path_factory.mktemp("coord-idle"),
        token=token,
        env={
            "COORD_DISABLE_INSTANCE_LOCK": "1",
            "COORD_DISABLE_BACKGROUND_CLEANUP": "1",
            "COORD_IDLE_TIMEOUT_SEC": "5",
        },
    )
    try:
        yield LiveServer(server.url, token)
    finally:
        server.stop()


def wire(tmp_path: Path, coord: Coord, server: LiveServer, tool: str, name: str, *extra: str) -> Path:
    root, _ = make_repo(tmp_path, name)
    coord.run(
        "init", "--tool", tool, "--yes", "--url", server.url, "--token", server.token,
        "--repo-id", f"acme/{name}", *extra, cwd=root, check=True,
    )  # fmt: skip
    return root


def registered(root: Path, tool: str) -> dict[str, list[tuple[str | None, str]]]:
    """coord's hook commands, read back from the tracked settings file the tool reads."""
    if tool == "claude":
        doc: Any = json.loads((root / ".claude" / "settings.json").read_text())
    elif tool == "codex":
        doc = tomllib.loads((root / ".codex" / "config.toml").read_text())
    else:
        doc = json.loads((root / ".cursor" / "hooks.json").read_text())
        assert doc["version"] == 1
    found = editor_hooks.registered_commands(doc, tool)
    assert found, f"no coord hook registered for {tool}"
    return found


def run_hook(root: Path, command: str, payload: dict[str, Any], tool: str) -> subprocess.CompletedProcess[str]:
    """Run a registered command as the tool does: `sh -c`, JSON on stdin, bare PATH."""
    env = {"PATH": BARE_PATH, "HOME": str(root.parent / "user-home")}
    if tool == "claude":
        env["CLAUDE_PROJECT_DIR"] = str(root)
    return subprocess.run(
        ["/bin/sh", "-c", command],
        cwd=root,
        env=env,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


class Tool:
    """One tool's dialect: the registered commands and its documented hook JSON."""

    def __init__(self, root: Path, tool: str, session: str) -> None:
        self.root, self.tool, self.session = root, tool, session
        self.commands = registered(root, tool)

    def command(self, event: str, shell: bool = False) -> str:
        names = {
            "claude": {"pre": "PreToolUse", "post": "PostToolUse", "start": "SessionStart", "end": "SessionEnd"},
            "codex": {"pre": "PreToolUse", "post": "PostToolUse", "start": "SessionStart"},
            "cursor": {
                "pre": "beforeShellExecution" if shell else "preToolUse",
                "post": "afterFileEdit",
                "start": "sessionStart",
                "end": "sessionEnd",
            },
        }[self.tool]
        return self.commands[names[event]][0][1]

    def base(self, event: str, agent: str | None = None) -> dict[str, Any]:
        if self.tool == "cursor":
            return {
                "conversation_id": self.session,
                "generation_id": "g-1",
                "hook_event_name": event,
                "workspace_roots": [str(self.root)],
            }
        data: dict[str, Any] = {
            "session_id": self.session,
            "transcript_path": str(self.root.parent / "t.jsonl"),
            "cwd": str(self.root),
            "hook_event_name": event,
        }
        if agent:
            data["agent_id"], data["agent_type"] = agent, "general-purpose"
        return data

    def edit(self, rel: str, agent: str | None = None) -> subprocess.CompletedProcess[str]:
        if self.tool == "codex":
            patch = f"*** Begin Patch\n*** Update File: {rel}\n@@\n-a\n+b\n*** End Patch\n"
            payload = {**self.base("PreToolUse", agent), "tool_name": "apply_patch", "tool_input": {"command": patch}}
        elif self.tool == "cursor":
            payload = {
                **self.base("preToolUse"),
                "tool_name": "Write",
                "tool_input": {"file_path": str(self.root / rel), "contents": "x"},
            }
        else:
            payload = {
                **self.base("PreToolUse", agent),
                "tool_name": "Edit",
                "tool_input": {"file_path": str(self.root / rel), "old_string": "1", "new_string": "2"},
            }
        return run_hook(self.root, self.command("pre"), payload, self.tool)

    def shell(self, command: str) -> subprocess.CompletedProcess[str]:
        if self.tool == "cursor":
            payload = {**self.base("beforeShellExecution"), "command": command, "cwd": str(self.root)}
            return run_hook(self.root, self.command("pre", shell=True), payload, self.tool)
        if self.tool == "codex":
            tool_input: dict[str, Any] = {"command": ["bash", "-lc", command]}
            payload = {**self.base("PreToolUse"), "tool_name": "shell", "tool_input": tool_input}
        else:
            payload = {**self.base("PreToolUse"), "tool_name": "Bash", "tool_input": {"command": command}}
        return run_hook(self.root, self.command("pre"), payload, self.tool)

    def post(self, rel: str) -> subprocess.CompletedProcess[str]:
        if self.tool == "cursor":
            payload = {**self.base("afterFileEdit"), "file_path": str(self.root / rel), "edits": []}
        else:
            payload = {
                **self.base("PostToolUse"),
                "tool_name": "Write",
                "tool_input": {"file_path": str(self.root / rel), "content": "x"},
                "tool_response": {"success": True},
            }
        return run_hook(self.root, self.command("post"), payload, self.tool)

    def session_event(self, event: str) -> subprocess.CompletedProcess[str]:
        name = {"start": "SessionStart", "end": "SessionEnd"}[event]
        payload = {**self.base(name if self.tool != "cursor" else name[0].lower() + name[1:]), "source": "startup"}
        return run_hook(self.root, self.command(event), payload, self.tool)


def decision(proc: subprocess.CompletedProcess[str], tool: str) -> str:
    """allow | deny, as the tool would read the hook's answer."""
    assert proc.returncode in (0, 2), f"fail-open exit {proc.returncode}: {proc.stderr}"
    if proc.returncode == 2:
        return "deny"
    out = json.loads(proc.stdout) if proc.stdout.strip() else {}
    if tool == "cursor":
        return "deny" if out.get("permission") == "deny" else "allow"
    return str((out.get("hookSpecificOutput") or {}).get("permissionDecision") or "allow")


def reason(proc: subprocess.CompletedProcess[str], tool: str) -> str:
    out = json.loads(proc.stdout)
    return str(out["agent_message"] if tool == "cursor" else out["hookSpecificOutput"]["permissionDecisionReason"])


def mine(server: LiveServer, repo: str) -> list[dict[str, Any]]:
    return [c for c in server.claims(repo_id=repo) if c["engineer"] != HOLDER]


@pytest.mark.parametrize("tool", ["claude", "codex", "cursor"])
def test_gate_denies_held_claims_free_and_passes_reads(
    tmp_path: Path, coord: Coord, live_server: LiveServer, tool: str
) -> None:
    name = f"gate-{tool}"
    root = wire(tmp_path, coord, live_server, tool, name)
    repo = f"acme/{name}"
    gate = Tool(root, tool, f"0b8e2c1e-{tool[:2]}00-4d2a-9f1e-1a2b3c4d5e6f")
    held = live_server.claim(HOLDER, "src/a.ts", repo_id=repo)["claims"][0]

    refused = gate.edit("src/a.ts")
    assert decision(refused, tool) == "deny"
    why = reason(refused, tool)
    assert HOLDER in why and f"#{held['id']}" in why and "expires" in why and "request-release" in why

    granted = gate.edit("src/b.ts")
    assert decision(granted, tool) == "allow", granted.stdout + granted.stderr
    claims = mine(live_server, repo)
    assert [c["pattern"] for c in claims] == ["src/b.ts"]
    assert claims[0]["engineer"] == f"alex/{tool}/main" and claims[0]["session_id"]

    for command in READ_ONLY:
        proc = gate.shell(command)
        assert decision(proc, tool) == "allow", command
        assert "refused" not in proc.stdout
    for command in SHELL_WRITES:
        assert decision(gate.shell(command), tool) == "deny", command
    assert (root / "src" / "a.ts").read_text() == "export const a = 1;\n"  # nothing ran

    # a shell write to a free file claims it like an edit
    assert decision(gate.shell("echo x > notes.md"), tool) == "allow"
    assert {c["pattern"] for c in mine(live_server, repo)} == {"src/b.ts", "notes.md"}

    with live_server.client() as client:
        assert_server_exclusive(client)


def test_subagents_siblings_refused_parent_sees_children(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root = wire(tmp_path, coord, live_server, "claude", "agents")
    gate = Tool(root, "claude", "5d7c6a1e-0000-4d2a-9f1e-1a2b3c4d5e6f")
    first = gate.edit("src/a.ts", agent="a1b2c3")
    assert decision(first, "claude") == "allow"
    sibling = gate.edit("src/a.ts", agent="d4e5f6")
    assert decision(sibling, "claude") == "deny"
    assert "alex/claude/main+a1b2c3" in reason(sibling, "claude")
    # the parent and the child itself are one person with the claimant: allowed
    assert decision(gate.edit("src/a.ts"), "claude") == "allow"
    assert decision(gate.edit("src/a.ts", agent="a1b2c3"), "claude") == "allow"
    claims = live_server.claims(repo_id="acme/agents")
    assert [c["engineer"] for c in claims] == ["alex/claude/main+a1b2c3"]
    with live_server.client() as client:
        assert_server_exclusive(client)


@pytest.mark.parametrize("tool", ["claude", "cursor"])
def test_session_start_announces_and_session_end_releases(
    tmp_path: Path, coord: Coord, live_server: LiveServer, tool: str
) -> None:
    name = f"sess-{tool}"
    root = wire(tmp_path, coord, live_server, tool, name)
    gate = Tool(root, tool, "7f00aa11-1111-4d2a-9f1e-1a2b3c4d5e6f")
    assert decision(gate.edit("src/a.ts"), tool) == "allow"
    start = gate.session_event("start")
    assert start.returncode == 0
    if tool == "claude":
        context = json.loads(start.stdout)["hookSpecificOutput"]["additionalContext"]
        assert "alex/claude/main" in context and "src/a.ts" in context
    assert [c["pattern"] for c in live_server.claims(repo_id=f"acme/{name}")] == ["src/a.ts"]
    end = gate.session_event("end")
    assert end.returncode == 0, end.stderr
    assert live_server.claims(repo_id=f"acme/{name}") == []
    # another engineer may take it now
    live_server.claim(HOLDER, "src/a.ts", repo_id=f"acme/{name}")
    with live_server.client() as client:
        assert_server_exclusive(client)


def test_session_keeps_its_claims_while_it_works(tmp_path: Path, coord: Coord, idle_server: LiveServer) -> None:
    """Idle timeout 5 s: a session whose hooks keep firing (reads, edits) for 8 s keeps
    its claim; once it goes silent past the timeout the claim is gone."""
    root = wire(tmp_path, coord, idle_server, "claude", "idle")
    (root / ".coordination" / "local.env").write_text(
        (root / ".coordination" / "local.env").read_text() + "COORD_ACTIVITY_INTERVAL_SEC=1\n"
    )
    gate = Tool(root, "claude", "1d1e0000-2222-4d2a-9f1e-1a2b3c4d5e6f")
    assert decision(gate.edit("src/a.ts"), "claude") == "allow"
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        assert decision(gate.shell("ls src"), "claude") == "allow"  # read-only: activity only
        time.sleep(1)
    assert [c["pattern"] for c in idle_server.claims(repo_id="acme/idle")] == ["src/a.ts"]
    silent_until = time.monotonic() + 20
    while idle_server.claims(repo_id="acme/idle") and time.monotonic() < silent_until:
        time.sleep(0.5)
    assert idle_server.claims(repo_id="acme/idle") == []


@pytest.mark.parametrize("tool", ["claude", "cursor"])
def test_backstop_records_unclaimed_write(tmp_path: Path, coord: Coord, live_server: LiveServer, tool: str) -> None:
    name = f"back-{tool}"
    root = wire(tmp_path, coord, live_server, tool, name)
    repo = f"acme/{name}"
    held = live_server.claim(HOLDER, "src/a.ts", repo_id=repo)["claims"][0]
    gate = Tool(root, tool, "9a9a0000-3333-4d2a-9f1e-1a2b3c4d5e6f")
    post = gate.post("src/a.ts")
    assert post.returncode == 0, post.stderr
    if tool == "claude":
        assert HOLDER in json.loads(post.stdout)["hookSpecificOutput"]["additionalContext"]
    again = gate.post("src/a.ts")  # the same write reported twice is one event
    assert again.returncode == 0
    with live_server.client() as client:
        events = client.get("/events", params={"repo_id": repo}).json()["events"]
        hits = [e for e in events if e["event_type"] == "unclaimed-write"]
        assert len(hits) == 1 and hits[0]["claim_id"] == held["id"]
        assert hits[0]["engineer"] == f"alex/{tool}/main" and hits[0]["detail"]["holder"] == HOLDER
        notices = client.post("/sessions/abc/heartbeat", json={"engineer": HOLDER, "repo_id": repo}).json()[
            "pending_requests"
        ]
        assert any(n["kind"] == "unclaimed-write" and n["path"] == "src/a.ts" for n in notices)


def test_strict_cursor_hooks_fail_closed(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root = wire(tmp_path, coord, live_server, "cursor", "strict", "--enforce", "strict")
    hooks = json.loads((root / ".cursor" / "hooks.json").read_text())["hooks"]
    assert hooks["preToolUse"][0]["failClosed"] is True and hooks["beforeShellExecution"][0]["failClosed"] is True
    gate = Tool(root, "cursor", "c0c0c0c0-4444-4d2a-9f1e-1a2b3c4d5e6f")
    env_file = root / ".coordination" / "local.env"
    env_file.write_text(env_file.read_text().replace(live_server.url, "http://127.0.0.1:9"))
    down = gate.edit("src/b.ts")
    assert decision(down, "cursor") == "deny" and "strict" in reason(down, "cursor")
    (root / ".coordination" / "bin" / "coord-gate").unlink()
    missing = gate.edit("src/b.ts")
    assert missing.returncode == 2 and "coord init" in missing.stderr


def test_doctor_exercises_the_gate_green_then_red(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root = wire(tmp_path, coord, live_server, "claude", "doc-gate")
    ok = coord.run("doctor", cwd=root)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    lines = [ln for ln in ok.stdout.splitlines() if "edit gate" in ln]
    assert any("launcher" in ln and ln.strip().startswith("ok") for ln in lines), ok.stdout
    assert any("PreToolUse" in ln and "denied" in ln and ln.strip().startswith("ok") for ln in lines), ok.stdout
    # the probe leaves nothing behind
    assert live_server.claims(repo_id="acme/doc-gate") == []

    settings_path = root / ".claude" / "settings.json"
    good = settings_path.read_text()

    def break_commands(old: str, new: str) -> subprocess.CompletedProcess[str]:
        settings = json.loads(good)
        for entry in settings["hooks"]["PreToolUse"]:
            for hook in entry["hooks"]:
                hook["command"] = new if old == "*" else hook["command"].replace(old, new)
        settings_path.write_text(json.dumps(settings))
        return coord.run("doctor", cwd=root)

    def assert_fail_open(out: subprocess.CompletedProcess[str], why: str) -> None:
        assert out.returncode == 1, out.stdout
        bad = [ln for ln in out.stdout.splitlines() if "edit gate claude PreToolUse" in ln]
        assert bad and all(ln.strip().startswith("FAIL") for ln in bad), out.stdout
        assert "fail open" in out.stdout and why in out.stdout, out.stdout

    # the old PATH-bound command: not found with a bare PATH
    assert_fail_open(break_commands("*", "coord hook claude-pre-tool-use"), "exit 127 (command not found)")
    settings_path.write_text(good)
    # the launcher points at a Python that is gone (coord's venv deleted)
    launcher = root / ".coordination" / "bin" / "coord-gate"
    kept = launcher.read_text()
    launcher.write_text('#!/bin/sh\nexec /nonexistent/python -S -c pass "$@"\n')
    gone = coord.run("doctor", cwd=root)
    assert_fail_open(gone, "exit 127")
    assert "is gone" in gone.stdout
    launcher.write_text(kept)
    # a typo in the registered path: coord's gate is not registered at all
    typo = break_commands("bin/coord-gate", "bin/coord-gait")
    assert typo.returncode == 1 and "no coord gate registered" in typo.stdout
    assert live_server.claims(repo_id="acme/doc-gate") == []

    settings_path.write_text(good)
    launcher.chmod(0o644)
    no_exec = coord.run("doctor", cwd=root)
    assert no_exec.returncode == 1 and "not executable" in no_exec.stdout


def test_hook_and_mcp_bridge_share_one_session(
    tmp_path: Path, coord: Coord, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tool runs both: its hook records the session under the tool's pid (here this
    test process), and coord-mcp, a child of the same tool, adopts it."""
    import os

    from coordination import envfile
    from coordination.mcp_bridge import make_bridge

    root = wire(tmp_path, coord, live_server, "claude", "one-session")
    session = "3c3c3c3c-5555-4d2a-9f1e-1a2b3c4d5e6f"
    gate = Tool(root, "claude", session)
    assert decision(gate.edit("src/a.ts"), "claude") == "allow"
    assert envfile.read_agent_session(str(root), os.getpid()) == session

    monkeypatch.setattr(os, "getppid", os.getpid)  # the bridge's parent is the tool: us
    bridge = make_bridge({"COORD_TOOL": "claude", "PATH": BARE_PATH}, start=root)
    assert bridge.env.session_id != session
    claimed = bridge.client.create_claims(
        engineer=bridge.env.engineer,
        claims=[{"type": "file", "pattern": "src/b.ts"}],
        repo_id=bridge.env.repo_id,
        session_id=bridge.session_id(),
    )
    assert claimed["claims"][0]["session_id"] == session and bridge.env.session_id == session
    bridge.heartbeat_once(with_notices=False)
    assert bridge.client.session_id == session
    bridge.client.close()

    held = {c["pattern"]: c["session_id"] for c in live_server.claims(repo_id="acme/one-session")}
    assert held == {"src/a.ts": session, "src/b.ts": session}
    assert gate.session_event("end").returncode == 0
    assert live_server.claims(repo_id="acme/one-session") == []
    assert envfile.read_agent_session(str(root), os.getpid()) is None
