"""coord-mcp env resolution: walk-up to .coordination/local.env, placeholders, aliases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coordination import clientenv
from coordination.client import CoordClient

REAL = {
    "COORD_API_URL": "http://coord.internal:9000",
    "COORD_AUTH_TOKEN": "file-token-123",
    "COORD_REPO_ID": "acme/app",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / ".coordination").mkdir(parents=True)
    lines = [f"{k}={v}" for k, v in REAL.items()]
    (root / ".coordination" / "local.env").write_text("# comment\n" + "\n".join(lines) + "\n")
    (root / "src" / "deep").mkdir(parents=True)
    return root


def test_unset_values_come_from_local_env(repo: Path) -> None:
    env = clientenv.resolve({}, start=repo / "src" / "deep")
    assert env.api_url == REAL["COORD_API_URL"]
    assert env.token == REAL["COORD_AUTH_TOKEN"]
    assert env.repo_id == "acme/app"
    assert env.local_env == (repo / ".coordination" / "local.env").resolve()
    assert env.repo_root == repo.resolve()


def test_placeholders_are_overridden_by_local_env(repo: Path) -> None:
    placeholders = {
        "COORD_API_URL": "http://127.0.0.1:8080",
        "COORD_AUTH_TOKEN": "set-me",
        "COORD_REPO_ID": "example-org/example-repo",
    }
    env = clientenv.resolve(placeholders, start=repo)
    assert env.api_url == REAL["COORD_API_URL"]
    assert env.token == REAL["COORD_AUTH_TOKEN"]
    assert env.repo_id == "acme/app"
    assert env.token_source == "local.env:COORD_AUTH_TOKEN"


def test_real_shell_values_win(repo: Path) -> None:
    shell = {
        "COORD_API_URL": "http://shell:1",
        "COORD_AUTH_TOKEN": "shell-token",
        "COORD_REPO_ID": "shell/repo",
    }
    env = clientenv.resolve(shell, start=repo)
    assert (env.api_url, env.token, env.repo_id) == ("http://shell:1", "shell-token", "shell/repo")
    assert env.token_source == "env:COORD_AUTH_TOKEN"


def test_placeholder_token_sends_no_authorization_header(tmp_path: Path) -> None:
    env = clientenv.resolve({"COORD_AUTH_TOKEN": "set-me"}, start=tmp_path)
    assert env.token_is_placeholder
    assert "Authorization" not in env.headers()
    client = CoordClient.from_env(env)
    assert not client.sends_token
    client.close()


def test_real_token_sends_bearer_header(repo: Path) -> None:
    env = clientenv.resolve({}, start=repo)
    assert env.headers()["Authorization"] == "Bearer file-token-123"
    assert "file-token-123" not in repr(env)
    assert "file-token-123" not in str(env.describe())


def test_legacy_aliases_are_read(tmp_path: Path) -> None:
    env = clientenv.resolve({"COORD_SERVICE_URL": "http://legacy:7", "COORD_TOKEN": "legacy-token"}, start=tmp_path)
    assert env.api_url == "http://legacy:7"
    assert env.token == "legacy-token"


def test_legacy_alias_in_local_env(tmp_path: Path) -> None:
    (tmp_path / ".coordination").mkdir()
    (tmp_path / ".coordination" / "local.env").write_text(
        "COORD_SERVICE_URL=http://legacy-file:7\nCOORD_TOKEN=legacy-file-token\n"
    )
    env = clientenv.resolve({"COORD_AUTH_TOKEN": "set-me"}, start=tmp_path)
    assert env.api_url == "http://legacy-file:7"
    assert env.token == "legacy-file-token"


def test_primary_name_beats_alias(tmp_path: Path) -> None:
    env = clientenv.resolve(
        {"COORD_API_URL": "http://primary:1", "COORD_SERVICE_URL": "http://legacy:2"},
        start=tmp_path,
    )
    assert env.api_url == "http://primary:1"


def test_real_alias_in_shell_beats_local_env(repo: Path) -> None:
    env = clientenv.resolve({"COORD_TOKEN": "shell-legacy"}, start=repo)
    assert env.token == "shell-legacy"


def test_nothing_configured_uses_defaults(tmp_path: Path) -> None:
    env = clientenv.resolve({}, start=tmp_path)
    assert env.api_url == clientenv.DEFAULT_API_URL
    assert env.token is None and env.token_is_placeholder
    assert env.repo_id == "default"
    assert env.describe()["token"] == "unset"


def test_apply_local_env_mutates_only_placeholders(repo: Path) -> None:
    environ = {"COORD_AUTH_TOKEN": "set-me", "COORD_REPO_ID": "mine/real", "OTHER": "x"}
    used = clientenv.apply_local_env(environ, start=repo)
    assert used is not None
    assert environ["COORD_AUTH_TOKEN"] == "file-token-123"
    assert environ["COORD_REPO_ID"] == "mine/real"
    assert environ["COORD_API_URL"] == REAL["COORD_API_URL"]
    assert environ["OTHER"] == "x"


def test_local_env_ignores_keys_outside_the_allowlist(tmp_path: Path) -> None:
    (tmp_path / ".coordination").mkdir()
    (tmp_path / ".coordination" / "local.env").write_text("PATH=/evil\nCOORD_REPO_ID=a/b\n")
    environ: dict[str, str] = {}
    clientenv.apply_local_env(environ, start=tmp_path)
    assert environ == {"COORD_REPO_ID": "a/b"}


def test_parse_env_file_forms() -> None:
    parsed = clientenv.parse_env_file("export A=1\nB='two words'\nC=\"q\"\n# x=1\nD=v # trailing\nbad line\n")
    assert parsed == {"A": "1", "B": "two words", "C": "q", "D": "v"}


def test_session_id_from_env_or_fresh() -> None:
    pinned = clientenv.resolve({"COORD_SESSION_ID": "0123456789abcdef"}, start=Path("/"))
    assert pinned.session_id == "0123456789abcdef"
    a = clientenv.resolve({}, start=Path("/")).session_id
    b = clientenv.resolve({}, start=Path("/")).session_id
    assert re.fullmatch(r"[0-9a-f]{16}", a) and a != b
    # a non-hex id (e.g. an editor's UUID) maps to a stable 16-hex id
    derived = clientenv.normalize_session_id("3f2a-uuid-like")
    assert derived == clientenv.normalize_session_id("3f2a-uuid-like")
    assert re.fullmatch(r"[0-9a-f]{16}", derived)


def test_engineer_default_and_override(repo: Path) -> None:
    env = clientenv.resolve({"COORD_TOOL": "codex"}, start=repo)
    assert env.engineer.endswith("/codex/main")
    env2 = clientenv.resolve({"COORD_ENGINEER": "bob/claude/wt2"}, start=repo)
    assert env2.engineer == "bob/claude/wt2"
    assert clientenv.person_of("Bob/claude/x") == "bob"


def test_client_validation_flag(tmp_path: Path) -> None:
    assert clientenv.resolve({}, start=tmp_path).client_validation
    off = clientenv.resolve({"COORD_DISABLE_CLIENT_VALIDATION": "1"}, start=tmp_path)
    assert not off.client_validation


def test_project_dir_fallback_when_started_outside_the_repo(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert clientenv.resolve({}, start=outside).token is None
    env = clientenv.resolve({"COORD_PROJECT_DIR": str(repo / "src")}, start=outside)
    assert env.token == REAL["COORD_AUTH_TOKEN"]
