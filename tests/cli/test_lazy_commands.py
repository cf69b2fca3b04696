"""`coord <command>` loads only the module that owns the command, and the table saying which
module owns which command is the truth."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import typer

from coordination.cli import app as cli


def _registered(module: str) -> set[str]:
    app = typer.Typer()
    importlib.import_module(f"coordination.cli.{module}").register(app)
    commands = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return commands | {g.name or "" for g in app.registered_groups}


def test_the_command_table_is_what_each_module_registers() -> None:
    owned = {name: module for module in cli.MODULES for name in _registered(module)}
    assert owned == cli.COMMAND_MODULES
    assert set(cli.COMMAND_MODULES.values()) == set(cli.MODULES)


def test_the_full_app_has_every_command() -> None:
    root = typer.main.get_command(cli.app)
    assert set(root.commands) == set(cli.COMMAND_MODULES)  # type: ignore[attr-defined]


def _loaded_by(*argv: str) -> set[str]:
    code = (
        "import sys\n"
        f"sys.argv = ['coord', *{list(argv)!r}]\n"
        "from coordination.cli import app\n"
        "try:\n    app.main()\nexcept SystemExit:\n    pass\n"
        "print(' '.join(m for m in sys.modules if m.startswith('coordination.cli.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout.strip().splitlines()[-1].split()  # the last line, after the help text
    return set(loaded) & {f"coordination.cli.{m}" for m in cli.MODULES}


@pytest.mark.integration  # fresh interpreters load the CLI
def test_a_command_loads_only_its_own_module() -> None:
    assert _loaded_by("ls", "--help") == {"coordination.cli.claims_cmds"}
    assert _loaded_by("--help") == {f"coordination.cli.{m}" for m in cli.MODULES}
    assert _loaded_by("--version") == set()  # the root option alone
