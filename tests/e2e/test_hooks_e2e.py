"""Against a real server: `coord doctor`, the git pre-push hook, `coord check`, and the
Claude Code / Codex PreToolUse hooks fed real hook JSON."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.e2e.conftest import Coord, LiveServer, closed_port_url
from tests.wiring.repos import commit_change, git, make_repo

pytestmark = pytest.mark.integration


def wired(tmp_path: Path, coord: Coord, server: LiveServer, name: str, tool: str = "claude") -> Path:
    root, _ = make_repo(tmp_path, name)
    coord.run(
        "init", "--tool", tool, "--yes", "--url", server.url, "--token", server.token,
        "--repo-id", f"acme/{name}", cwd=root, check=True,
    )  # fmt: skip
    return root


def set_env_value(root: Path, key: str, value: str) -> None:
    path = root / ".coordination" / "local.env"
    lines = [f"{key}={value}" if line.startswith(f"{key}=") else line for line in path.read_text().splitlines()]
    path.write_text("\n".join(lines) + "\n")


# -- doctor ---------------------------------------------------------------------


def test_doctor_passes_then_reports_broken_setups(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root = wired(tmp_path, coord, live_server, "doc")
    ok = coord.run("doctor", cwd=root)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "FAIL" not in ok.stdout and "all" in ok.stdout
    for name in ("pre-push hook", "token valid", "service ready", "coord-mcp on PATH", "repo id"):
        assert name in ok.stdout

    env_file = root / ".coordination" / "local.env"
    env_file.chmod(0o644)
    bad_mode = coord.run("doctor", cwd=root)
    assert bad_mode.returncode == 1
    assert "FAIL" in bad_mode.stdout and "fix: chmod 600 .coordination/local.env" in bad_mode.stdout
    env_file.chmod(0o600)

    set_env_value(root, "COORD_AUTH_TOKEN", "wrong-token")
    bad_token = coord.run("doctor", cwd=root)
    assert bad_token.returncode == 1
    line = next(ln for ln in bad_token.stdout.splitlines() if "token valid" in ln)
    assert line.strip().startswith("FAIL") and "401" in line
    assert "fix: put the service's token in COORD_AUTH_TOKEN" in bad_token.stdout
    assert "wrong-token" not in bad_token.stdout

    set_env_value(root, "COORD_AUTH_TOKEN", live_server.token)
    hook = root / ".git" / "hooks" / "pre-push"
    hook.chmod(0o644)
    no_exec = coord.run("doctor", cwd=root)
    assert no_exec.returncode == 1 and f"fix: chmod +x {hook}" in no_exec.stdout
    hook.chmod(0o755)

    set_env_value(root, "COORD_API_URL", closed_port_url())
    down = coord.run("doctor", cwd=root)
    assert down.returncode == 1 and "coord start" in down.stdout
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


# -- pre-push ---------------------------------------------------------------------


def test_push_blocked_by_other_engineers_claim_then_allowed(
    tmp_path: Path, coord: Coord, live_server: LiveServer
) -> None:
    root = wired(tmp_path, coord, live_server, "pushy")
    repo_id = "acme/pushy"
    held = live_server.claim("bob/claude/main", "src/a.ts", repo_id=repo_id)
    claim_id = held["claims"][0]["id"]
    mine = live_server.claim("alex/claude/main", "src/b.ts", repo_id=repo_id)["claims"][0]["id"]

    commit_change(root, "src/a.ts", "export const a = 42;\n")
    commit_change(root, "src/b.ts", "export const b = 42;\n")
    blocked = coord.git("push", "origin", "main", cwd=root)
    assert blocked.returncode != 0
    assert "push blocked" in blocked.stderr
    assert "src/a.ts: held by bob/claude/main" in blocked.stderr
    assert f"claim #{claim_id}" in blocked.stderr
    remote_head = coord.git("ls-remote", "origin", "refs/heads/main", cwd=root).stdout.split()[0]
    assert remote_head != git(root, "rev-parse", "HEAD")

    live_server.release_all("bob/claude/main", repo_id)
    allowed = coord.git("push", "origin", "main", cwd=root)
    assert allowed.returncode == 0, allowed.stderr
    assert "release them after pushing" in allowed.stderr and f"#{mine}" in allowed.stderr


def test_new_branch_push_checks_files_since_default_branch(
    tmp_path: Path, coord: Coord, live_server: LiveServer
) -> None:
    root = wired(tmp_path, coord, live_server, "branchy")
    live_server.claim("carol/codex/main", "src/**", repo_id="acme/branchy")
    git(root, "checkout", "-q", "-b", "feature")
    commit_change(root, "docs/readme.md", "docs\n")
    ok = coord.git("push", "-u", "origin", "feature", cwd=root)
    assert ok.returncode == 0, ok.stderr  # docs/ is not claimed
    git(root, "checkout", "-q", "-b", "feature2")
    commit_change(root, "src/new.ts", "x\n")
    blocked = coord.git("push", "-u", "origin", "feature2", cwd=root)
    assert blocked.returncode != 0 and "src/new.ts: held by carol/codex/main" in blocked.stderr
    # coord check (CI) sees the same thing through the same API call
    check = coord.run("check", "--base", "origin/main", cwd=root)
    assert check.returncode == 1 and "src/new.ts" in check.stdout
    mine = coord.run("check", "--base", "origin/main", "--engineer", "carol/ci/pr", cwd=root)
    assert mine.returncode == 0, mine.stdout


def test_push_when_service_down_warns_or_blocks_in_strict_mode(
    tmp_path: Path, coord: Coord, live_server: LiveServer
) -> None:
    root = wired(tmp_path, coord, live_server, "downy")
    set_env_value(root, "COORD_API_URL", closed_port_url())
    commit_change(root, "src/a.ts", "1\n")
    strict = coord.git("push", "origin", "main", cwd=root, env={"COORD_PREPUSH_STRICT": "1"})
    assert strict.returncode != 0 and "COORD_PREPUSH_STRICT" in strict.stderr
    lax = coord.git("push", "origin", "main", cwd=root)
    assert lax.returncode == 0 and "unreachable" in lax.stderr and "allowed" in lax.stderr


# -- editor hooks -------------------------------------------------------------------


def hook_json(root: Path, rel: str, session: str = "5b3c9a7e-1111-2222-3333-444455556666") -> str:
    return json.dumps(
        {
            "session_id": session,
            "transcript_path": str(root / "t.jsonl"),
            "cwd": str(root),
            "hook_event_name": "PreToolUse",
            "tool_name": "Edit",
            "tool_input": {"file_path": str(root / rel), "old_string": "a", "new_string": "b"},
        }
    )


def test_claude_hook_refuses_claims_and_fails_open(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root = wired(tmp_path, coord, live_server, "hooky")
    repo_id = "acme/hooky"
    held = live_server.claim("bob/codex/main", "src/a.ts", repo_id=repo_id)["claims"][0]

    refused = coord.run("hook", "claude-pre-tool-use", cwd=root, input=hook_json(root, "src/a.ts"))
    assert refused.returncode == 0
    decision = json.loads(refused.stdout)["hookSpecificOutput"]
    assert decision["hookEventName"] == "PreToolUse" and decision["permissionDecision"] == "deny"
    reason = decision["permissionDecisionReason"]
    assert "bob/codex/main" in reason and f"#{held['id']}" in reason
    assert "expires" in reason and "release" in reason and "wait" in reason

    session = "5b3c9a7e-1111-2222-3333-444455556666"
    granted = coord.run("hook", "claude-pre-tool-use", cwd=root, input=hook_json(root, "src/b.ts"))
    assert granted.returncode == 0 and granted.stdout.strip() == ""
    claims = live_server.claims(repo_id=repo_id, pattern="src/b.ts")
    assert len(claims) == 1
    claim = claims[0]
    assert claim["engineer"] == "alex/claude/main"
    # the tool's session id is coord's session id (the MCP bridge of that session adopts it)
    assert claim["session_id"] == session

    # the same edit again refreshes the claim, still allowed, still one claim
    again = coord.run("hook", "claude-pre-tool-use", cwd=root, input=hook_json(root, "src/b.ts"))
    assert again.returncode == 0 and again.stdout.strip() == ""
    assert len(live_server.claims(repo_id=repo_id, pattern="src/b.ts", engineer="alex/claude/main")) >= 1

    set_env_value(root, "COORD_API_URL", closed_port_url())
    down = coord.run("hook", "claude-pre-tool-use", cwd=root, input=hook_json(root, "src/a.ts"))
    assert down.returncode == 0
    out = json.loads(down.stdout)
    assert "unreachable" in out["systemMessage"] and "hookSpecificOutput" not in out


def test_codex_hook_parses_apply_patch(tmp_path: Path, coord: Coord, live_server: LiveServer) -> None:
    root = wired(tmp_path, coord, live_server, "codexy", tool="codex")
    live_server.claim("bob/claude/main", "src/a.ts", repo_id="acme/codexy")
    patch = "*** Begin Patch\n*** Update File: src/a.ts\n@@\n-a\n+b\n*** End Patch\n"
    payload = {
        "session_id": "codex-session-1",
        "cwd": str(root),
        "hook_event_name": "PreToolUse",
        "tool_name": "apply_patch",
        "tool_input": {"command": patch},
    }
    out = coord.run("hook", "codex-pre-tool-use", cwd=root, input=json.dumps(payload))
    assert out.returncode == 0
    assert json.loads(out.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
    payload["tool_input"] = {"command": patch.replace("src/a.ts", "src/c.ts")}
    ok = coord.run("hook", "codex-pre-tool-use", cwd=root, input=json.dumps(payload))
    assert ok.returncode == 0 and ok.stdout.strip() == ""
    assert live_server.claims(repo_id="acme/codexy", engineer="alex/codex/main")
