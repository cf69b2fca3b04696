"""Real `coord init` (console script, subprocess) for each tool, in temp git repos."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest

from coordination.wiring import editor_hooks
from tests.e2e.conftest import Coord, closed_port_url
from tests.wiring.repos import commit_change, make_repo

TOKEN = "tok-" + "9f3a" * 8

TRACKED = {
    "claude": [".mcp.json", ".claude/settings.json", "CLAUDE.md", ".gitignore"],
    "codex": [".codex/config.toml", "AGENTS.md", ".gitignore"],
    "cursor": [".cursor/mcp.json", ".cursor/rules/coord.mdc", ".gitignore"],
}
RUNTIME = [".coordination/config.toml", ".coordination/local.env", ".coordination/owners.yaml"]


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(root).parts[:1]:
            files[str(path.relative_to(root))] = (
                path.read_bytes(),
                stat.S_IMODE(path.stat().st_mode),
            )
    hook = root / ".git" / "hooks" / "pre-push"
    if hook.exists():
        files[".git/hooks/pre-push"] = (hook.read_bytes(), stat.S_IMODE(hook.stat().st_mode))
    return files


@pytest.mark.parametrize("tool", ["claude", "codex", "cursor"])
def test_init_writes_exactly_the_files_and_is_idempotent(tool: str, tmp_path: Path, coord: Coord) -> None:
    root, _ = make_repo(tmp_path, origin="git@github.com:acme/shop.git")
    (coord.home / "token").write_text(TOKEN + "\n")
    first = coord.run("init", "--tool", tool, "--mode", "local", "--yes", cwd=root, check=True)
    assert "wired for" in first.stdout

    for rel in TRACKED[tool] + RUNTIME:
        assert (root / rel).is_file(), rel
    env_file = root / ".coordination" / "local.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((root / ".coordination").stat().st_mode) == 0o700
    hook = root / ".git" / "hooks" / "pre-push"
    assert os.access(hook, os.X_OK) and "coord:pre-push" in hook.read_text()

    env_text = env_file.read_text()
    assert f"COORD_AUTH_TOKEN={TOKEN}\n" in env_text
    assert "COORD_API_URL=http://127.0.0.1:8080\n" in env_text
    assert "COORD_REPO_ID=acme/shop\n" in env_text
    for rel in TRACKED[tool]:
        content = (root / rel).read_text()
        assert TOKEN not in content, f"real token leaked into tracked {rel}"
    registration = TRACKED[tool][0]
    text = (root / registration).read_text()
    assert "set-me" in text and "example-org/example-repo" in text and "coord-mcp" in text
    gitignore = (root / ".gitignore").read_text()
    assert "# coord:begin" in gitignore and "/.coordination/" in gitignore and "# coord:end" in gitignore

    # nothing under .coordination/ is visible to git
    status = coord.git("status", "--porcelain", "--untracked-files=all", cwd=root).stdout
    assert ".coordination" not in status
    assert coord.git("check-ignore", "-q", ".coordination/local.env", cwd=root).returncode == 0

    before = snapshot(root)
    second = coord.run("init", "--tool", tool, "--mode", "local", "--yes", cwd=root, check=True)
    assert "nothing to change" in second.stdout
    assert snapshot(root) == before


def test_registration_formats(tmp_path: Path, coord: Coord) -> None:
    root, _ = make_repo(tmp_path)
    (coord.home / "token").write_text(TOKEN)
    for tool in ("claude", "codex", "cursor"):
        coord.run("init", "--tool", tool, "--yes", cwd=root, check=True)
    claude = json.loads((root / ".mcp.json").read_text())["mcpServers"]["coord"]
    assert claude["command"] == "coord-mcp" and claude["env"]["COORD_AUTH_TOKEN"] == "set-me"
    settings = json.loads((root / ".claude" / "settings.json").read_text())
    entry = settings["hooks"]["PreToolUse"][0]
    assert entry["matcher"] == "Edit|Write|MultiEdit|NotebookEdit|Bash"
    assert entry["hooks"][0]["command"] == editor_hooks.gate_command("claude", "pre-tool-use")
    assert str(root) not in json.dumps(settings)  # no machine path in the tracked file
    codex = tomllib.loads((root / ".codex" / "config.toml").read_text())
    assert codex["mcp_servers"]["coord"]["command"] == "coord-mcp"
    assert codex["hooks"]["PreToolUse"][0]["matcher"] == editor_hooks.CODEX_MATCHER
    assert json.loads((root / ".cursor" / "hooks.json").read_text())["version"] == 1
    cursor = json.loads((root / ".cursor" / "mcp.json").read_text())["mcpServers"]["coord"]
    assert cursor["env"]["COORD_REPO_ID"] == "example-org/example-repo"
    assert (root / ".cursor" / "rules" / "coord.mdc").read_text().startswith("---\n")
    config = tomllib.loads((root / ".coordination" / "config.toml").read_text())
    assert config["tools"] == ["claude", "codex", "cursor"] and config["hook"]["on_edit"] == "claim"
    # repo id falls back to the directory name for a local-path remote
    assert "COORD_REPO_ID=app\n" in (root / ".coordination" / "local.env").read_text()


def test_user_text_around_managed_blocks_is_kept(tmp_path: Path, coord: Coord) -> None:
    root, _ = make_repo(tmp_path)
    (coord.home / "token").write_text(TOKEN)
    (root / "CLAUDE.md").write_text("# House rules\n\nRun the tests.\n")
    (root / ".gitignore").write_text("node_modules/\n*.log\n")
    coord.run("init", "--tool", "claude", "--yes", cwd=root, check=True)
    # the user edits above and below the blocks, and inside coord's block
    claude_md = (root / "CLAUDE.md").read_text()
    claude_md = "Preface.\n" + claude_md.replace("Several agents", "SEVERAL agents") + "\nEpilogue.\n"
    (root / "CLAUDE.md").write_text(claude_md)
    (root / ".gitignore").write_text((root / ".gitignore").read_text() + "dist/\n")
    coord.run("init", "--tool", "claude", "--yes", cwd=root, check=True)
    final = (root / "CLAUDE.md").read_text()
    assert final.startswith("Preface.\n# House rules\n\nRun the tests.\n\n<!-- coord:begin")
    assert final.endswith("<!-- coord:end -->\n\nEpilogue.\n")
    assert "Several agents" in final and "SEVERAL" not in final  # block content restored
    assert final.count("coord:begin") == 1
    gi = (root / ".gitignore").read_text()
    assert gi.startswith("node_modules/\n*.log\n") and gi.endswith("# coord:end\ndist/\n")
    assert gi.count("/.coordination/") == 1


def test_existing_pre_push_hook_is_kept_and_still_runs(tmp_path: Path, coord: Coord) -> None:
    root, _ = make_repo(tmp_path)
    (coord.home / "token").write_text(TOKEN)
    marker = tmp_path / "old-hook-ran"
    hook = root / ".git" / "hooks" / "pre-push"
    hook.write_text(f'#!/bin/sh\nread line\necho "$1 $line" > "{marker}"\n')
    hook.chmod(0o755)
    coord.run("init", "--tool", "claude", "--yes", "--url", closed_port_url(), cwd=root, check=True)
    assert (root / ".git" / "hooks" / "pre-push.local").is_file()

    commit_change(root, "src/a.ts", "export const a = 3;\n")
    push = coord.git("push", "origin", "main", cwd=root)
    assert push.returncode == 0, push.stderr
    assert marker.read_text().startswith("origin refs/heads/main ")  # got args and ref lines
    assert "unreachable" in push.stderr  # coord's check ran after it (service down: allowed)

    # a failing previous hook still stops the push
    (root / ".git" / "hooks" / "pre-push.local").write_text("#!/bin/sh\nexit 3\n")
    commit_change(root, "src/b.ts", "export const b = 3;\n")
    assert coord.git("push", "origin", "main", cwd=root).returncode != 0


def test_init_without_yes_shows_and_asks(tmp_path: Path, coord: Coord) -> None:
    root, _ = make_repo(tmp_path)
    (coord.home / "token").write_text(TOKEN)
    declined = coord.run("init", "--tool", "claude", cwd=root, input="n\n")
    assert declined.returncode == 1
    assert ".mcp.json" in declined.stdout and "Write these files?" in declined.stdout
    assert TOKEN not in declined.stdout
    assert not (root / ".mcp.json").exists()
    accepted = coord.run("init", "--tool", "claude", cwd=root, input="y\n")
    assert accepted.returncode == 0 and (root / ".mcp.json").exists()


def test_shared_mode(tmp_path: Path, coord: Coord) -> None:
    root, _ = make_repo(tmp_path)
    missing = coord.run("init", "--tool", "codex", "--mode", "shared", "--yes", cwd=root)
    assert missing.returncode == 2 and "--url" in missing.stderr
    coord.run(
        "init", "--tool", "codex", "--mode", "shared", "--yes",
        "--url", "https://coord.acme.dev", "--token", "shared-secret",
        cwd=root, check=True,
    )  # fmt: skip
    env_text = (root / ".coordination" / "local.env").read_text()
    assert "COORD_API_URL=https://coord.acme.dev\n" in env_text
    assert "COORD_AUTH_TOKEN=shared-secret\n" in env_text
    assert "shared-secret" not in (root / ".codex" / "config.toml").read_text()
    # prompted when --yes is not given
    other, _ = make_repo(tmp_path, "other")
    prompted = coord.run(
        "init", "--tool", "claude", "--mode", "shared", cwd=other,
        input="https://coord.example.org\nprompted-token\ny\n",
    )  # fmt: skip
    assert prompted.returncode == 0, prompted.stderr
    assert "COORD_AUTH_TOKEN=prompted-token" in (other / ".coordination" / "local.env").read_text()


def test_init_outside_git_fails_cleanly(tmp_path: Path, coord: Coord) -> None:
    out = coord.run("init", "--tool", "claude", "--yes", cwd=tmp_path)
    assert out.returncode == 2 and "not inside a git repository" in out.stderr


def test_version(tmp_path: Path, coord: Coord) -> None:
    out = coord.run("--version", cwd=tmp_path, check=True)
    assert out.stdout.startswith("coord ")


def test_update_notice_printed_from_cache_but_not_by_hooks(tmp_path: Path, coord: Coord) -> None:
    import time

    cache = coord.home / "update-check.json"
    cache.write_text(json.dumps({"latest": "999.0.0", "checked_at": time.time()}))
    env = {"COORD_NO_UPDATE_CHECK": ""}
    hook = coord.run("hook", "claude-pre-tool-use", cwd=tmp_path, input="{}", env=env)
    assert hook.returncode == 0 and "999.0.0" not in hook.stderr
    shown = coord.run("init", "--tool", "claude", "--yes", cwd=tmp_path, env=env)
    assert "coord 999.0.0 is available" in shown.stderr
    again = coord.run("init", "--tool", "claude", "--yes", cwd=tmp_path, env=env)
    assert "999.0.0" not in again.stderr  # once per 24 h
    cache.write_text(json.dumps({"latest": "999.0.0", "checked_at": time.time()}))
    silenced = coord.run("init", "--tool", "claude", "--yes", cwd=tmp_path, env={"COORD_NO_UPDATE_CHECK": "1"})
    assert "999.0.0" not in silenced.stderr
