"""The hand-written shell completions cover every CLI command and actually complete."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import typer.main

from coordination.cli.app import app

COMPLETIONS = Path(__file__).resolve().parents[2] / "scripts" / "completions"
REQUIRED = {"start", "stop", "status", "init", "doctor", "claim", "release", "ls", "conflicts", "check", "hook"}


def _cli_commands() -> set[str]:
    group = typer.main.get_command(app)
    return set(getattr(group, "commands", {}))


def test_every_command_is_completed() -> None:
    bash = (COMPLETIONS / "coord.bash").read_text()
    zsh = (COMPLETIONS / "_coord").read_text()
    bash_commands = set(bash.split('_coord_commands="')[1].split('"')[0].split())
    for name in REQUIRED | _cli_commands():
        assert name in bash_commands, f"bash completion lacks {name}"
        assert f"'{name}:" in zsh, f"zsh completion lacks {name}"
    for sub in ("pre-push", "claude-pre-tool-use", "codex-pre-tool-use"):
        assert sub in bash and sub in zsh


def _complete(*words: str) -> list[str]:
    script = f"""
source {COMPLETIONS / "coord.bash"}
COMP_WORDS=({" ".join(repr(w) for w in words)})
COMP_CWORD={len(words) - 1}
_coord
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_bash_completion_behaviour() -> None:
    assert "doctor" in _complete("coord", "do")
    assert set(_complete("coord", "init", "--tool", "")) == {"claude", "codex", "cursor"}
    assert set(_complete("coord", "init", "--mode", "")) == {"local", "shared"}
    assert "--yes" in _complete("coord", "init", "--")
    assert "claude-pre-tool-use" in _complete("coord", "hook", "")
    assert "--base" in _complete("coord", "check", "--b")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_bash_completes_request_commands() -> None:
    assert set(_complete("coord", "respond", "12", "")) == {"release", "narrow", "coexist", "deny"}
    assert set(_complete("coord", "request-release", "--urgency", "")) == {"low", "normal", "high", "blocking"}


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_bash_completes_claim_queue_options() -> None:
    assert {"--wait", "--urgency"} <= set(_complete("coord", "claim", "--"))
    assert set(_complete("coord", "claim", "--urgency", "")) == {"low", "normal", "high", "blocking"}
    assert _complete("coord", "claim", "--wait", "") == []


def test_zsh_completes_claim_queue_options() -> None:
    zsh = (COMPLETIONS / "_coord").read_text()
    claim = zsh.split("                claim)")[1].split(";;")[0]
    assert "--wait" in claim and "--urgency" in claim and "(low normal high blocking)" in claim


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_bash_completes_ownership_commands() -> None:
    assert set(_complete("coord", "ownership", "")) == {"pull", "push"}
    assert {"--force", "--replace-managed"} <= set(_complete("coord", "ownership", "push", "--"))


def test_packaged_copies_equal_the_scripts() -> None:
    """`coord completions install` writes the package's copies: they are the shipped scripts."""
    from coordination.cli import completions_cmd

    assert completions_cmd.script("bash") == (COMPLETIONS / "coord.bash").read_text()
    assert completions_cmd.script("zsh") == (COMPLETIONS / "_coord").read_text()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_bash_completes_json_extend_and_completions() -> None:
    for command in ("claim", "ls", "conflicts", "requests", "extend"):
        assert "--json" in _complete("coord", command, "--j"), command
    assert "--ttl" in _complete("coord", "extend", "--")
    assert set(_complete("coord", "completions", "")) == {"install", "show"}
    assert set(_complete("coord", "completions", "install", "--shell", "")) == {"bash", "zsh"}


def test_zsh_completes_json_and_extend() -> None:
    zsh = (COMPLETIONS / "_coord").read_text()
    for command in ("claim", "ls", "conflicts", "requests", "extend"):
        body = zsh.split(f"                {command})")[1].split(";;")[0]
        assert "--json" in body, command
    assert "'install:" in zsh and "(bash zsh)" in zsh


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_bash_completes_the_edit_gate() -> None:
    assert "gate" in _complete("coord", "hook", "")
    assert set(_complete("coord", "init", "--enforce", "")) == {"standard", "strict"}
