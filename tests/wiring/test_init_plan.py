"""`coord init`'s plan/apply engine in-process (the console script is tested in tests/e2e)."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest

from coordination.wiring import editor_hooks, init_plan, repoconfig
from tests.wiring.repos import make_repo


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "token").write_text("local-token-xyz\n")
    return home


def opts(home: Path, tool: str = "claude", **kw: object) -> init_plan.Options:
    return init_plan.Options(tool=tool, coord_home=home, coord_bin="/opt/bin/coord", **kw)  # type: ignore[arg-type]


def run(root: Path, o: init_plan.Options) -> init_plan.Plan:
    plan = init_plan.build(root, o)
    init_plan.apply(plan)
    return plan


def test_each_tool_writes_its_files_and_is_idempotent(tmp_path: Path, home: Path) -> None:
    root, _ = make_repo(tmp_path)
    expected = {
        "claude": {".mcp.json", ".claude/settings.json", "CLAUDE.md"},
        "codex": {".codex/config.toml", "AGENTS.md"},
        "cursor": {".cursor/mcp.json", ".cursor/hooks.json", ".cursor/rules/coord.mdc"},
    }
    common = {
        ".gitignore",
        ".coordination/bin/coord-gate",
        ".coordination/config.toml",
        ".coordination/local.env",
        ".coordination/owners.yaml",
        ".git/hooks/pre-push",
    }
    for tool, files in expected.items():
        plan = run(root, opts(home, tool))
        assert {a.display for a in plan.actions} == files | common
        again = init_plan.build(root, opts(home, tool))
        assert again.changes == [], [a.display for a in again.changes]
    cfg = repoconfig.load(root)
    assert cfg.tools == ["claude", "codex", "cursor"]
    env = (root / ".coordination" / "local.env").read_text()
    assert "COORD_AUTH_TOKEN=local-token-xyz" in env
    assert stat.S_IMODE((root / ".coordination" / "local.env").stat().st_mode) == 0o600
    assert stat.S_IMODE((root / ".git" / "hooks" / "pre-push").stat().st_mode) == 0o755
    for tracked in (".mcp.json", ".codex/config.toml", ".cursor/mcp.json", "CLAUDE.md"):
        assert "local-token-xyz" not in (root / tracked).read_text()
    assert tomllib.loads((root / ".codex" / "config.toml").read_text())["mcp_servers"]["coord"]


def test_user_text_and_settings_are_kept(tmp_path: Path, home: Path) -> None:
    root, _ = make_repo(tmp_path)
    (root / "CLAUDE.md").write_text("# Team notes\nBe nice.\n")
    (root / ".claude").mkdir()
    user_settings = {
        "permissions": {"allow": ["Bash(npm test)"]},
        "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "x"}]}]},
    }
    (root / ".claude" / "settings.json").write_text(json.dumps(user_settings))
    (root / ".mcp.json").write_text(json.dumps({"mcpServers": {"other": {"command": "o"}}}))
    (root / ".codex").mkdir()
    (root / ".codex" / "config.toml").write_text('model = "o3"\n\n[mcp_servers.other]\ncommand = "o"\n')
    run(root, opts(home, "claude"))
    run(root, opts(home, "codex"))
    assert (root / "CLAUDE.md").read_text().startswith("# Team notes\nBe nice.\n\n<!-- coord:begin")
    settings = json.loads((root / ".claude" / "settings.json").read_text())
    assert settings["permissions"] == user_settings["permissions"]
    matchers = [e["matcher"] for e in settings["hooks"]["PreToolUse"]]
    assert matchers == ["Bash", editor_hooks.CLAUDE_MATCHER]
    servers = json.loads((root / ".mcp.json").read_text())["mcpServers"]
    assert set(servers) == {"other", "coord"}
    codex = tomllib.loads((root / ".codex" / "config.toml").read_text())
    assert codex["model"] == "o3" and set(codex["mcp_servers"]) == {"other", "coord"}
    assert codex["hooks"]["PreToolUse"][0]["hooks"][0]["command"] == editor_hooks.gate_command("codex", "pre-tool-use")


def test_shared_mode_needs_url_and_token(tmp_path: Path, home: Path) -> None:
    root, _ = make_repo(tmp_path)
    with pytest.raises(init_plan.InitError, match="--url"):
        init_plan.build(root, opts(home, mode="shared"))
    with pytest.raises(init_plan.InitError, match="--token"):
        init_plan.build(root, opts(home, mode="shared", url="https://coord.acme.dev"))
    run(root, opts(home, mode="shared", url="https://coord.acme.dev/", token="shared-tok"))
    env = (root / ".coordination" / "local.env").read_text()
    assert "COORD_API_URL=https://coord.acme.dev\n" in env
    assert "COORD_AUTH_TOKEN=shared-tok\n" in env
    assert repoconfig.load(root).mode == "shared"
    # re-running without flags keeps the shared settings
    assert init_plan.build(root, opts(home)).changes == []


def test_local_mode_without_token_writes_placeholder_and_warns(tmp_path: Path) -> None:
    root, _ = make_repo(tmp_path)
    plan = run(root, opts(tmp_path / "empty-home"))
    assert plan.token_state == "placeholder"
    assert any("coord start" in w for w in plan.warnings)
    assert "COORD_AUTH_TOKEN=set-me" in (root / ".coordination" / "local.env").read_text()


def test_existing_hook_is_moved_aside(tmp_path: Path, home: Path) -> None:
    root, _ = make_repo(tmp_path)
    hook = root / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\necho mine\n")
    hook.chmod(0o755)
    plan = run(root, opts(home))
    assert (root / ".git" / "hooks" / "pre-push.local").read_text() == "#!/bin/sh\necho mine\n"
    assert init_plan.HOOK_MARKER in hook.read_text()
    assert any(a.move_aside for a in plan.actions)
    assert init_plan.build(root, opts(home)).changes == []


def test_both_hook_and_local_hook_present_is_an_error(tmp_path: Path, home: Path) -> None:
    root, _ = make_repo(tmp_path)
    (root / ".git" / "hooks" / "pre-push").write_text("#!/bin/sh\n")
    (root / ".git" / "hooks" / "pre-push.local").write_text("#!/bin/sh\n")
    with pytest.raises(init_plan.InitError, match="pre-push.local"):
        init_plan.build(root, opts(home))


def test_hook_installed_in_core_hooks_path(tmp_path: Path, home: Path) -> None:
    from tests.wiring.repos import git

    root, _ = make_repo(tmp_path)
    git(root, "config", "core.hooksPath", ".githooks")
    run(root, opts(home))
    assert (root / ".githooks" / "pre-push").is_file()
    assert not (root / ".git" / "hooks" / "pre-push").exists()


def test_user_hook_settings_in_config_survive_rerun(tmp_path: Path, home: Path) -> None:
    root, _ = make_repo(tmp_path)
    run(root, opts(home))
    path = root / ".coordination" / "config.toml"
    path.write_text(path.read_text().replace('on_edit = "claim"', 'on_edit = "warn"'))
    run(root, opts(home))
    assert repoconfig.load(root).on_edit == "warn"


def test_repo_id_option_and_kept_value(tmp_path: Path, home: Path) -> None:
    root, _ = make_repo(tmp_path)
    run(root, opts(home, repo_id="acme/custom"))
    assert "COORD_REPO_ID=acme/custom" in (root / ".coordination" / "local.env").read_text()
    assert init_plan.build(root, opts(home)).changes == []


def test_merge_claude_settings_replaces_old_coord_entry() -> None:
    old = {
        "hooks": {
            "PreToolUse": [
                {
                    "matcher": "Edit",
                    "hooks": [{"type": "command", "command": "coord hook claude-pre-tool-use --old"}],
                },
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "lint"}]},
            ]
        }
    }
    merged = editor_hooks.merge_claude_settings(old)
    entries = merged["hooks"]["PreToolUse"]
    # the legacy coord entry is gone, the user's Bash entry is kept, coord's is there once
    assert entries == [old["hooks"]["PreToolUse"][1], editor_hooks.claude_entry()]
    for event in ("PostToolUse", "SessionStart", "SessionEnd"):
        assert merged["hooks"][event] == [editor_hooks.claude_entry(event)]
    assert editor_hooks.merge_claude_settings(merged) == merged
    assert editor_hooks.claude_has_hook(merged)
    assert not editor_hooks.claude_has_hook({"hooks": {}})
