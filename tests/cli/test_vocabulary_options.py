"""The CLI's choice options offer exactly the API's vocabulary, and its bounds are the core limits."""

from __future__ import annotations

import re
from enum import StrEnum
from importlib import resources
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from coordination.cli.app import app
from coordination.core import limits as lim
from coordination.core.vocabulary import Answer, ClaimType, RequestState, Role, Urgency

CHOICES: list[tuple[str, str, type[StrEnum]]] = [
    ("claim", "type_", ClaimType),
    ("claim", "urgency", Urgency),
    ("request-release", "urgency", Urgency),
    ("respond", "answer", Answer),
    ("requests", "role", Role),
    ("requests", "state", RequestState),
]


def _param(command: str, name: str) -> Any:
    commands = getattr(typer.main.get_command(app), "commands", {})
    return next(p for p in commands[command].params if p.name == name)


def _choices(param: Any) -> list[str]:
    """The values an option or argument accepts (Typer's own parameter types, or click's Choice)."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        assert descriptor.is_choice
        return [str(c) for c in descriptor.choices]
    return [str(c) for c in param.type.choices]


@pytest.mark.parametrize(("command", "name", "enum"), CHOICES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_choice_options_offer_exactly_the_vocabulary(command: str, name: str, enum: type[StrEnum]) -> None:
    assert _choices(_param(command, name)) == [m.value for m in enum], (command, name)


@pytest.mark.parametrize(("command", "name", "enum"), CHOICES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_help_lists_the_choices(command: str, name: str, enum: type[StrEnum]) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "250", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "|".join(m.value for m in enum) in result.output


def test_a_value_outside_the_vocabulary_is_a_usage_error() -> None:
    runner = CliRunner()
    for args in (["claim", "src/a.ts", "--urgency", "soon"], ["respond", "1", "maybe"], ["requests", "--state", "x"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)


def test_wait_is_bounded_by_the_queue_limit() -> None:
    param = _param("claim", "wait")
    bounds = (param.min, param.max) if hasattr(param, "min") else (param.type.min, param.type.max)
    assert bounds == (0, lim.MAX_WAIT_SECONDS)
    assert f"max {lim.MAX_WAIT_SECONDS}" in (param.help or "")


def _completion_words(script: str, pattern: str) -> list[str]:
    found = re.search(pattern, script)
    assert found, pattern
    return found.group(1).split()


def test_shell_completions_offer_the_same_words() -> None:
    files = resources.files("coordination.completions")
    bash = files.joinpath("coord.bash").read_text()
    zsh = files.joinpath("_coord").read_text()
    for option, enum in (
        ("--urgency|-u", Urgency),
        ("--role", Role),
        ("--state", RequestState),
        ("--type|-t", ClaimType),
    ):
        words = _completion_words(bash, re.escape(option) + r'\)\s+COMPREPLY=\(\$\(compgen -W "([^"]+)"')
        assert words == [m.value for m in enum], option
    for label, enum in (("urgency", Urgency), ("answer", Answer), ("role", Role), ("state", RequestState)):
        for words in re.findall(rf":{label}:\(([^)]+)\)", zsh):
            assert words.split() == [m.value for m in enum], label
    assert _completion_words(zsh, r":type:\(([^)]+)\)") == [m.value for m in ClaimType]
