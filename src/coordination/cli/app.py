"""The `coord` command: one Typer app, commands registered per concept module."""

from __future__ import annotations

import typer

from coordination import __version__
from coordination.cli.output import EXIT_CODES_HELP

app = typer.Typer(
    name="coord",
    help="Coordinate many coding-agent sessions on one repo: claim before you edit.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"coord {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """coord: claims and conflict checks for agents sharing a codebase."""


def _register_commands() -> None:
    # Each module adds its commands with `register(app)`; listed here so the
    # whole surface of the CLI is visible in one place.
    from coordination.cli import (
        claims_cmds,
        completions_cmd,
        doctor_cmd,
        hook_cmds,
        init_cmd,
        ownership_cmds,
        requests_cmds,
        server_cmds,
        update_notice,
    )

    for module in (
        server_cmds,
        claims_cmds,
        init_cmd,
        doctor_cmd,
        hook_cmds,
        requests_cmds,
        ownership_cmds,
        completions_cmd,
        update_notice,
    ):
        module.register(app)


_register_commands()


def main() -> None:
    from coordination.config import SettingsError

    try:
        app()
    except SettingsError as exc:
        # A bad COORD_* value: one line naming the variable, no traceback; 2 = fix the configuration.
        typer.echo(f"coord: {exc}", err=True)
        raise SystemExit(2) from None
