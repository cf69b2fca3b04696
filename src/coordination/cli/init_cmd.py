"""`coord init`: wire the current application repo to a coord service."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from coordination import clientenv
from coordination.wiring import git, init_plan


class Tool(StrEnum):
    claude = "claude"
    codex = "codex"
    cursor = "cursor"


class Transport(StrEnum):
    http = "http"
    stdio = "stdio"


class Mode(StrEnum):
    local = "local"
    shared = "shared"


class Enforce(StrEnum):
    standard = "standard"
    strict = "strict"


def _err(msg: str) -> None:
    typer.echo(f"coord init: {msg}", err=True)


def _show(plan: init_plan.Plan) -> None:
    typer.echo(f"coord init will wire {plan.root}")
    typer.echo(
        f"  mode {plan.mode}, MCP over {plan.transport}, service {plan.api_url}, repo id {plan.repo_id}, "
        f"token {'(set, hidden)' if plan.token_state == 'set' else '(placeholder)'}"  # noqa: S105
    )
    for action in plan.actions:
        where = "tracked" if action.tracked else "not tracked"
        note = f" - {action.note}" if action.note else ""
        typer.echo(f"  {action.status:<9} {action.display} ({where}){note}")
    for action in plan.changes:
        if action.secret:
            continue
        typer.echo(f"\n--- {action.display} ---")
        lines = action.content.splitlines()
        for line in lines[:60]:
            typer.echo(f"  {line}")
        if len(lines) > 60:
            typer.echo(f"  ... ({len(lines) - 60} more lines)")


def init(
    tool: Tool = typer.Option(..., "--tool", help="Which agent tool to wire: claude, codex, cursor."),
    mode: Mode | None = typer.Option(
        None,
        "--mode",
        help="local: a service on this machine (token from $COORD_HOME/token). "
        "shared: an existing shared service (needs --url and --token). Default: keep, else local.",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Write without showing and asking."),
    url: str | None = typer.Option(None, "--url", help="Service URL (required for --mode shared)."),
    token: str | None = typer.Option(None, "--token", help="Bearer token (required for --mode shared)."),
    repo_id: str | None = typer.Option(None, "--repo-id", help="Repo id (default: from `git remote get-url origin`)."),
    enforce: Enforce | None = typer.Option(
        None,
        "--enforce",
        help="standard: when coord cannot check a write, allow it with a warning. strict: refuse it "
        "(the editor hooks fail closed). Default: keep, else standard.",
    ),
    transport: Transport | None = typer.Option(
        None,
        "--transport",
        help="How the editor reaches coord's MCP tools. http: the service's /mcp endpoint (nothing "
        "to install per machine; the token comes from $COORD_AUTH_TOKEN). stdio: the local coord-mcp "
        "bridge. Default: http when the service URL is not on this machine, else stdio.",
    ),
) -> None:
    """Write the MCP registration, protocol, gitignored config and git hook for this repo."""
    root = git.repo_root(Path.cwd())
    if root is None:
        _err("not inside a git repository (run it from the application repo you coordinate)")
        raise typer.Exit(2)
    chosen_mode = mode.value if mode else None
    if chosen_mode == "shared" and not yes:
        prior = clientenv.read_local_env(root / clientenv.LOCAL_ENV_RELPATH)
        if not url and clientenv.is_placeholder("COORD_API_URL", prior.get("COORD_API_URL")):
            url = typer.prompt("URL of the shared coord service")
        if not token and clientenv.is_placeholder("COORD_AUTH_TOKEN", prior.get("COORD_AUTH_TOKEN")):
            token = typer.prompt("Token for the shared coord service", hide_input=True)
    opts = init_plan.Options(
        tool=tool.value,
        mode=chosen_mode,
        url=url,
        token=token,
        repo_id=repo_id,
        enforce=enforce.value if enforce else None,
        transport=transport.value if transport else None,
    )
    try:
        plan = init_plan.build(root, opts)
    except (init_plan.InitError, git.GitError) as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    for warning in plan.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if not plan.changes:
        typer.echo(f"coord init: {root} is already wired for {tool.value}; nothing to change.")
        return
    if not yes:
        _show(plan)
        if not typer.confirm("\nWrite these files?", default=True):
            typer.echo("Nothing written.")
            raise typer.Exit(1)
    try:
        done = init_plan.apply(plan)
    except OSError as exc:
        _err(f"writing failed: {exc}")
        raise typer.Exit(1) from None
    for action in done:
        typer.echo(f"  {action.status:<7} {action.display}")
        if action.move_aside is not None:
            typer.echo(f"          (previous hook kept as {action.move_aside.name}; it still runs)")
    typer.echo(
        f"coord init: wired for {tool.value} (mode {plan.mode}, MCP over {plan.transport}, {plan.api_url}, "
        f"repo {plan.repo_id}). Next: `coord doctor`."
    )
    typer.echo("Commit the tracked files; .coordination/ stays local (it holds the token).", err=False)
    for note in plan.notes:
        typer.echo(f"note: {note}")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
