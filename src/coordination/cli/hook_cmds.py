"""`coord hook ...` (called by git and editor hooks) and `coord check` (CI)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

hook_app = typer.Typer(
    name="hook",
    help="Entry points called by installed hooks (git pre-push, editor pre-edit hooks).",
    no_args_is_help=True,
    add_completion=False,
)


def _editor_hook(tool: str, event: str = "pre-tool-use") -> None:
    from coordination.gate import run

    code = run.main([tool, event])
    if code:
        raise typer.Exit(code)


@hook_app.command("claude-pre-tool-use")
def claude_pre_tool_use() -> None:
    """Claude Code PreToolUse (older registrations; `coord init` now registers
    .coordination/bin/coord-gate). JSON on stdin."""
    _editor_hook("claude")


@hook_app.command("codex-pre-tool-use")
def codex_pre_tool_use() -> None:
    """Codex CLI PreToolUse (older registrations; see claude-pre-tool-use). JSON on stdin."""
    _editor_hook("codex")


@hook_app.command("gate")
def gate(
    tool: str = typer.Argument(..., help="claude, codex or cursor"),
    event: str = typer.Argument(
        ..., help="pre-tool-use, post-tool-use, before-shell, after-edit, session-start, session-end"
    ),
) -> None:
    """The edit gate (what .coordination/bin/coord-gate runs); the tool's hook JSON on stdin."""
    _editor_hook(tool, event)


@hook_app.command("pre-push")
def pre_push(
    remote: str = typer.Argument("origin", help="Name of the remote (git passes it)."),
    url: str = typer.Argument("", help="URL of the remote (git passes it)."),
) -> None:
    """git pre-push check: reads git's ref lines on stdin; non-zero blocks the push."""
    from coordination.wiring import git, guards

    root = git.repo_root(Path.cwd())
    if root is None:
        typer.echo("coord: not inside a git work tree; claim check skipped.", err=True)
        return
    try:
        outcome = guards.pre_push(root, remote or "origin", sys.stdin.read().splitlines())
    except Exception as exc:  # noqa: BLE001 - fail open unless strict
        from coordination.client_settings import ClientSettings

        typer.echo(f"coord: pre-push check failed ({exc}).", err=True)
        if ClientSettings.load(start=root).prepush_strict:
            raise typer.Exit(1) from None
        return
    for line in outcome.lines:
        typer.echo(line, err=True)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


def check(
    base: str = typer.Option(..., "--base", help="Ref the branch is compared with (merge-base)."),
    engineer: str | None = typer.Option(
        None,
        "--engineer",
        help="Whose claims do not count (default COORD_ENGINEER / <git user>/cli/main). "
        "Claims of the same person (first segment of the id) count as yours.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail when the service cannot be reached (default: warn)."),
) -> None:
    """Exit non-zero when this branch changed files other engineers hold (for CI)."""
    from coordination.wiring import git, guards

    root = git.repo_root(Path.cwd())
    if root is None:
        typer.echo("coord check: not inside a git work tree.", err=True)
        raise typer.Exit(2)
    try:
        outcome = guards.check_branch(root, base, engineer, strict=strict)
    except git.GitError as exc:
        typer.echo(f"coord check: {exc}", err=True)
        raise typer.Exit(2) from None
    for line in outcome.lines:
        typer.echo(line)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


def register(app: typer.Typer) -> None:
    app.add_typer(hook_app, name="hook")
    app.command("check")(check)
