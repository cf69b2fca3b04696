"""The `coord` command: one Typer app, commands registered per concept module.

`coord <command>` imports only the module that owns `<command>` (the table below):
agents and hooks run the CLI many times a minute, and importing every command's module
(ownership YAML and globs, doctor, init templates) would cost them on each run. `coord`
alone, `--help`, an unknown command and shell completion register everything, and so
does the module attribute `app` (what the docs checks and tests read); `coord --version`
registers nothing. Catching a bad setting (`SettingsError`) does not import the server
settings (`coordination.config`), and `coordination.cli.output` imports rich only when
something is printed through it.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer

from coordination import __version__
from coordination.errors import SettingsError

__all__ = ["COMMAND_MODULES", "MODULES", "build", "main"]

# Each module adds its commands with `register(app)`; listed here so the whole surface of
# the CLI is visible in one place. tests/cli/test_lazy_commands.py checks the table against
# what each module really registers. `update_notice` wraps the root callback: always loaded.
MODULES = (
    "server_cmds",
    "claims_cmds",
    "init_cmd",
    "doctor_cmd",
    "hook_cmds",
    "requests_cmds",
    "ownership_cmds",
    "completions_cmd",
)
COMMAND_MODULES = {
    "start": "server_cmds",
    "stop": "server_cmds",
    "status": "server_cmds",
    "claim": "claims_cmds",
    "release": "claims_cmds",
    "extend": "claims_cmds",
    "ls": "claims_cmds",
    "conflicts": "claims_cmds",
    "init": "init_cmd",
    "doctor": "doctor_cmd",
    "check": "hook_cmds",
    "hook": "hook_cmds",
    "request-release": "requests_cmds",
    "respond": "requests_cmds",
    "requests": "requests_cmds",
    "cancel-request": "requests_cmds",
    "ownership": "ownership_cmds",
    "completions": "completions_cmd",
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"coord {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """coord: claims and conflict checks for agents sharing a codebase."""


def build(command: str | None = None, *, commands: bool = True) -> typer.Typer:
    """The `coord` app: every command, or only the module that owns `command`, or none
    (`commands=False`: the root options alone, without the update notice: `--version`)."""
    from coordination.cli.output import EXIT_CODES_HELP

    app = typer.Typer(
        name="coord",
        help="Coordinate many coding-agent sessions on one repo: claim before you edit.",
        epilog=EXIT_CODES_HELP,
        no_args_is_help=True,
        add_completion=False,
    )
    app.callback()(_root)
    if not commands:
        return app
    owner = COMMAND_MODULES.get(command or "")
    for name in (owner,) if owner else MODULES:
        importlib.import_module(f"coordination.cli.{name}").register(app)
    importlib.import_module("coordination.cli.update_notice").register(app)
    return app


def _completing() -> bool:
    """The shell is asking for completions (they list every command)."""
    return any(key.startswith("_COORD_COMPLETE") for key in os.environ)


def _command(argv: list[str]) -> str | None:
    """The command `argv` names: its first word that is not an option (the root takes only
    flags), unless the shell is asking for completions (they list every command)."""
    if _completing():
        return None
    return next((arg for arg in argv if not arg.startswith("-")), None)


_full_app: typer.Typer | None = None


def __getattr__(name: str) -> Any:
    if name == "app":
        global _full_app
        if _full_app is None:
            _full_app = build()
        return _full_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    argv = sys.argv[1:]
    # `coord --version` exits from its eager option before any command (or the update
    # notice, which skips it) runs: it needs no command module, so none is imported.
    app = build(_command(argv), commands=argv != ["--version"] or _completing())
    try:
        app()
    except SettingsError as exc:
        # A bad COORD_* value: one line naming the variable, no traceback; 2 = fix the configuration.
        typer.echo(f"coord: {exc}", err=True)
        raise SystemExit(2) from None
