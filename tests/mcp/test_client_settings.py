"""ClientSettings: one object for every client COORD_* variable, environment and local.env."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from coordination import clientenv, envfile
from coordination.cli import update_notice
from coordination.client_settings import ClientSettings, parse_env_text
from coordination.gate import run as gate_run
from coordination.wiring import guards


def _repo(tmp_path: Path, text: str) -> Path:
    (tmp_path / ".coordination").mkdir(exist_ok=True)
    (tmp_path / ".coordination" / "local.env").write_text(text)
    return tmp_path


def test_precedence_real_env_then_file_then_placeholder(tmp_path: Path) -> None:
    root = _repo(tmp_path, "COORD_AUTH_TOKEN=file-token\nCOORD_REPO_ID=example-org/example-repo\n")
    shell = ClientSettings.load({"COORD_AUTH_TOKEN": "shell-token"}, start=root)
    assert (shell.auth_token, shell.origin("auth_token")) == ("shell-token", "env:COORD_AUTH_TOKEN")
    placeholder = ClientSettings.load({"COORD_AUTH_TOKEN": "set-me"}, start=root)
    assert (placeholder.auth_token, placeholder.origin("auth_token")) == ("file-token", "local.env:COORD_AUTH_TOKEN")
    # placeholders on both sides: the environment's is kept, marked as one
    both = ClientSettings.load({"COORD_REPO_ID": "example-org/example-repo"}, start=root)
    assert both.origin("repo_id") == "env:COORD_REPO_ID (placeholder)"
    only_file = ClientSettings.load({}, start=root)
    assert only_file.origin("repo_id") == "local.env:COORD_REPO_ID (placeholder)"
    assert ClientSettings.load({}, start=root).origin("engineer") == "unset"


def test_empty_and_blank_values_mean_unset(tmp_path: Path) -> None:
    root = _repo(tmp_path, "COORD_AUTH_TOKEN=file-token\nCOORD_REPO_ID=\nCOORD_PREPUSH_STRICT=1\n")
    settings = ClientSettings.load(
        {"COORD_AUTH_TOKEN": "", "COORD_PREPUSH_STRICT": "  ", "COORD_HEARTBEAT_INTERVAL_SEC": ""}, start=root
    )
    assert settings.auth_token == "file-token"
    assert settings.repo_id is None and settings.origin("repo_id") == "unset"
    assert settings.prepush_strict is True  # the blank export does not hide local.env's value
    assert settings.heartbeat_interval_sec == 60.0


def test_only_allowlisted_keys_come_from_local_env(tmp_path: Path) -> None:
    root = _repo(tmp_path, "COORD_HOME=/elsewhere\nCOORD_TOOL=codex\nCOORD_MCP_LOG_LEVEL=DEBUG\n")
    settings = ClientSettings.load({}, start=root)
    assert settings.home == Path("~/.coord")
    assert settings.tool is None and settings.mcp_log_level == "WARNING"


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("off", False)]
)
def test_flags(raw: str, expected: bool) -> None:
    settings = ClientSettings.load({"COORD_DISABLE_CLIENT_VALIDATION": raw}, read_file=False)
    assert settings.disable_client_validation is expected


def test_a_bad_value_is_reported_and_the_default_applies(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = _repo(tmp_path, "COORD_HOOK_TIMEOUT_SEC=soon\nCOORD_AUTH_TOKEN=file-token\n")
    with caplog.at_level(logging.WARNING, logger="coord.settings"):
        settings = ClientSettings.load({"COORD_PREPUSH_STRICT": "maybe"}, start=root)
    assert settings.hook_timeout_sec is None and settings.origin("hook_timeout_sec") == "unset"
    assert settings.prepush_strict is False
    assert settings.auth_token == "file-token"  # the other values still apply
    assert "COORD_HOOK_TIMEOUT_SEC='soon'" in caplog.text and "COORD_PREPUSH_STRICT='maybe'" in caplog.text


def test_hook_timeout_reaches_the_push_check(tmp_path: Path) -> None:
    root = _repo(tmp_path, "COORD_HOOK_TIMEOUT_SEC=2.5\n")
    assert guards._timeout(ClientSettings.load({}, start=root)) == 2.5
    assert guards._timeout(ClientSettings.load({"COORD_HOOK_TIMEOUT_SEC": "0"}, start=root)) == guards.PUSH_TIMEOUT_SEC


def test_person_in_local_env_beats_the_environment_like_the_edit_gate(tmp_path: Path) -> None:
    root = _repo(tmp_path, "COORD_PERSON=Alex\n")
    environ = {"COORD_PERSON": "bob"}
    client = clientenv.resolve(environ, start=root, tool="claude")
    gate = gate_run.engineer_for("claude", environ, envfile.allowed(envfile.parse_env_file("COORD_PERSON=Alex\n")))
    assert client.engineer == gate == "alex/claude/main"
    assert client.engineer_source == "local.env:COORD_PERSON"


def test_update_check_can_be_turned_off_in_local_env(tmp_path: Path) -> None:
    root = _repo(tmp_path, "COORD_NO_UPDATE_CHECK=1\n")
    assert ClientSettings.load({}, start=root).no_update_check
    assert update_notice.cache_path({"COORD_HOME": str(tmp_path)}) == tmp_path / "update-check.json"


def test_loading_from_the_process_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path, "COORD_REPO_ID=acme/app\n")
    monkeypatch.chdir(root)
    monkeypatch.setenv("COORD_ENGINEER", "carol/cli/main")
    settings = ClientSettings()
    assert (settings.repo_id, settings.engineer) == ("acme/app", "carol/cli/main")


#: The forms `coord init` writes and the docs show: python-dotenv (CLI, hooks, coord-mcp)
#: and the edit gate's standard-library reader must read them the same way.
LINES = [
    "COORD_AUTH_TOKEN=abc123",
    "export COORD_REPO_ID=acme/app",
    "COORD_ENGINEER='alex/claude/wt2'",
    'COORD_API_URL="http://coord.internal:8080"',
    "COORD_PERSON=alex # from git",
    "# COORD_SESSION_ID=0123456789abcdef",
    "COORD_HOOK_TIMEOUT_SEC=",
    "  COORD_PREPUSH_STRICT = 1  ",
    "COORD_TOKEN=a#b",
    "COORD_SESSION_ID=${HOME}",
]


@pytest.mark.parametrize("line", LINES)
def test_the_client_and_the_edit_gate_read_local_env_alike(line: str) -> None:
    assert parse_env_text(line + "\n") == envfile.parse_env_file(line + "\n")


def test_both_settings_classes_read_an_empty_variable_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    from coordination.config import Settings

    assert Settings.model_config.get("env_ignore_empty") and ClientSettings.model_config.get("env_ignore_empty")
    for name in ("COORD_PORT", "COORD_LOG_JSON", "COORD_HOME", "COORD_HEARTBEAT_INTERVAL_SEC"):
        monkeypatch.setenv(name, "")
    server = Settings(auth_token="a-real-token")  # type: ignore[call-arg]
    assert (server.port, server.log_json, server.home) == (8080, False, Path("~/.coord"))
    client = ClientSettings.load(read_file=False)
    assert (client.home, client.heartbeat_interval_sec) == (Path("~/.coord"), 60.0)
