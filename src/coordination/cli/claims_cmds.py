"""`coord claim`, `coord release`, `coord ls`, `coord conflicts`: the API for humans."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from coordination import clientenv
from coordination.client import CoordClient, CoordError, claim_item

out = Console()
err = Console(stderr=True)


@contextmanager
def _client() -> Iterator[tuple[CoordClient, clientenv.ClientEnv]]:
    env = clientenv.resolve(tool="cli")
    # The CLI is not a long-lived session: its claims must not idle-expire with it.
    with CoordClient(env.api_url, env.token, session_id=None) as client:
        try:
            yield client, env
        except CoordError as exc:
            _fail(exc)


URGENCIES = ("low", "normal", "high", "blocking")


def _fail(exc: CoordError) -> None:
    err.print(f"[red]error[/red] ({exc.status or 'no response'}): {escape(exc.detail)}")
    if exc.conflicts:
        _conflict_table(exc.conflicts, "Held by others")
    if exc.suggestion:
        err.print(escape(exc.suggestion))
    raise typer.Exit(1 if exc.status != 409 else 3)


def _left(expires_at: str) -> str:
    moment = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    minutes = int((moment - datetime.now(UTC)).total_seconds() // 60)
    if minutes < 0:
        return "expired"
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _scope(entry: dict[str, Any]) -> str:
    symbols = entry.get("symbols") or []
    # Patterns and symbols contain brackets ([ab]*.ts, [bootstrap]); never read them as markup.
    return escape(entry["pattern"] + (f" [{', '.join(symbols)}]" if symbols else ""))


def _claims_table(claims: list[dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    for column in ("id", "engineer", "type", "scope", "left", "fence", "description"):
        table.add_column(column)
    for c in claims:
        table.add_row(
            str(c["id"]),
            escape(c["engineer"]),
            c["type"],
            _scope(c),
            _left(c["expires_at"]),
            str(c["fence"]),
            escape(c.get("description") or ""),
        )
    out.print(table)


def _conflict_table(conflicts: list[dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    for column in ("wanted", "claim", "holder", "scope", "left"):
        table.add_column(column)
    for c in conflicts:
        table.add_row(
            c.get("requested_pattern", ""), str(c["claim_id"]), c["engineer"], _scope(c), _left(c["expires_at"])
        )
    err.print(table)


def claim(
    patterns: list[str] = typer.Argument(..., help="Paths or globs, repo-relative."),
    type_: str = typer.Option("file", "--type", "-t", help="file, module or shared_file."),
    symbol: list[str] = typer.Option([], "--symbol", "-s", help="Claim only this symbol (repeatable)."),
    ttl_hours: float | None = typer.Option(None, "--ttl", help="Hours until the claim expires."),
    description: str | None = typer.Option(None, "--description", "-d"),
    branch: str | None = typer.Option(None, "--branch"),
    engineer: str | None = typer.Option(None, "--engineer", "-e", help="Default: from .coordination/local.env."),
    wait: float = typer.Option(
        0, "--wait", "-w", min=0, max=900, help="If held by others, queue and wait up to SECONDS (max 900)."
    ),
    urgency: str = typer.Option(
        "normal", "--urgency", "-u", help="Queue priority with --wait: low, normal, high or blocking."
    ),
) -> None:
    """Claim files, globs, modules or symbols before editing them (--wait: queue behind the holder)."""
    if urgency not in URGENCIES:
        err.print(f"[red]error[/red]: --urgency must be one of {', '.join(URGENCIES)}")
        raise typer.Exit(2)
    with _client() as (client, env):
        if wait:
            err.print(f"waiting up to {wait:g}s in the claim queue if the scope is held...")
        body = client.create_claims(
            engineer=engineer or env.engineer,
            repo_id=env.repo_id,
            branch=branch,
            description=description,
            ttl_hours=ttl_hours,
            claims=[claim_item(p, type_, symbol or None) for p in patterns],
            wait_seconds=wait or None,
            urgency=urgency if wait else None,
        )
    if body.get("queue"):
        out.print(f"granted from the queue (entry {body['queue']['id']}) after {body['queue']['waited_sec']:g}s")
    _claims_table(body["claims"], "Granted")
    for d in body["decisions"]:
        if d["outcome"] != "GRANT":
            out.print(escape(f"{d['pattern']}: {d['outcome']} (partners: {d['coexists_with'] + d['narrowed']})"))
    for notice in body.get("pending_requests", []):
        out.print(f"[yellow]notice[/yellow]: {escape(str(notice.get('message', notice)))}")


def release(
    claim_ids: list[int] = typer.Argument(None, help="Claim ids; none with --all releases all of yours."),
    all_: bool = typer.Option(False, "--all", help="Release every claim of this engineer in this repo."),
    pattern: str | None = typer.Option(None, "--pattern", help="Release your claims on exactly this pattern."),
    engineer: str | None = typer.Option(None, "--engineer", "-e", help="Who releases. Default: from local.env."),
    force: bool = typer.Option(
        False, "--force", help="Release other engineers' claims too (ids or --pattern); the audit names you."
    ),
) -> None:
    """Release claims when you are done (or pushed)."""
    if not claim_ids and not all_ and not pattern:
        err.print("give claim ids, --pattern, or --all")
        raise typer.Exit(2)
    if force and not (claim_ids or pattern):
        err.print("--force needs claim ids or --pattern (it never releases a whole repo)")
        raise typer.Exit(2)
    with _client() as (client, env):
        who = engineer or env.engineer
        released = client.release_claims(
            repo_id=env.repo_id, engineer=who, pattern=pattern, claim_ids=claim_ids or None, force=force
        )
    out.print(f"released {len(released)} claim(s): {', '.join(map(str, released)) or '-'}")


def ls(
    everyone: bool = typer.Option(False, "--everyone", "-a", help="Show every engineer's claims."),
    engineer: str | None = typer.Option(None, "--engineer", "-e"),
) -> None:
    """List active claims in this repo (yours unless --everyone)."""
    with _client() as (client, env):
        who = None if everyone else (engineer or env.engineer)
        claims = client.list_claims(repo_id=env.repo_id, engineer=who)
    _claims_table(claims, f"Active claims in {env.repo_id}" + ("" if everyone else f" held by {who}"))


def conflicts(
    paths: list[str] = typer.Argument(..., help="Paths you are about to edit."),
    symbol: list[str] = typer.Option([], "--symbol", "-s", help="path::Symbol (repeatable)."),
    engineer: str | None = typer.Option(None, "--engineer", "-e"),
) -> None:
    """Would editing these paths collide with someone? Exit 0 safe, 3 conflicts."""
    with _client() as (client, env):
        body = client.conflicts(paths=paths, symbols=symbol, repo_id=env.repo_id, engineer=engineer or env.engineer)
    if body["safe"]:
        out.print("[green]safe[/green]: nobody else holds these paths")
        return
    _conflict_table(body["conflicts"], "Conflicts")
    if body.get("suggestion"):
        err.print(escape(body["suggestion"]))
    raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.command()(claim)
    app.command()(release)
    app.command()(ls)
    app.command()(conflicts)
