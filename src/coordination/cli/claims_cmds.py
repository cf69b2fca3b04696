"""`coord claim`, `coord release`, `coord extend`, `coord ls`, `coord conflicts`: the API for humans.

Exit codes and `--json`: see `coordination.cli.output`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import typer

from coordination import clientenv
from coordination.cli import output, scopes
from coordination.cli.output import escape
from coordination.client import CoordClient, CoordError, claim_item
from coordination.core.limits import MAX_WAIT_SECONDS
from coordination.core.vocabulary import ClaimType, Urgency

out = output.console()
err = output.console(stderr=True)

JSON_OPTION = typer.Option(False, "--json", help=output.JSON_OPTION_HELP)


def _schemas() -> ModuleType:
    """The API's response models, imported only for --json (they cost a few hundred ms)."""
    from coordination.api import schemas

    return schemas


@contextmanager
def _client(as_json: bool = False) -> Iterator[tuple[CoordClient, clientenv.ClientEnv]]:
    env = clientenv.resolve(tool="cli")
    # The CLI is not a long-lived session: its claims must not idle-expire with it.
    with CoordClient(env.api_url, env.token, session_id=None) as client:
        try:
            yield client, env
        except CoordError as exc:
            _fail(exc, as_json)


def _report(exc: CoordError) -> None:
    """An API error on stderr: the message, the blocking claims of a 409, the suggestion."""
    output.print_error(exc, err)
    if exc.conflicts:
        _conflict_table(exc.conflicts, "Held by others")
    if exc.suggestion:
        err.print(escape(exc.suggestion))


def _fail(exc: CoordError, as_json: bool = False) -> None:
    _report(exc)
    output.fail(exc, as_json)


def _wanted(paths: list[str], symbols: list[str], as_json: bool) -> dict[str, list[str]]:
    """`PATH... -s SYMBOL` read the same way by `claim` and `conflicts` (exit 2 when ambiguous)."""
    try:
        return scopes.resolve(paths, symbols)
    except scopes.ScopeError as exc:
        output.usage_error(str(exc), err, as_json)


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
    table = output.table(title, ("id", "engineer", "type", "scope", "left", "fence", "description"))
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
    table = output.table(title, ("wanted", "claim", "holder", "scope", "left"))
    for c in conflicts:
        table.add_row(
            escape(c.get("requested_pattern", "")),
            str(c["claim_id"]),
            escape(c["engineer"]),
            _scope(c),
            _left(c["expires_at"]),
        )
    err.print(table)


SYMBOL_HELP = "Only this symbol: Name (of the single path given) or path::Name (repeatable)."


def claim(
    patterns: list[str] = typer.Argument(None, help="Paths or globs, repo-relative."),
    type_: ClaimType = typer.Option(ClaimType.FILE, "--type", "-t", help="What the claim covers."),
    symbol: list[str] = typer.Option([], "--symbol", "-s", help=SYMBOL_HELP),
    ttl_hours: float | None = typer.Option(None, "--ttl", help="Hours until the claim expires."),
    description: str | None = typer.Option(
        None, "--description", "-d", help="What you are doing, shown to whoever meets the claim."
    ),
    branch: str | None = typer.Option(None, "--branch", help="The branch the work is on, recorded with the claim."),
    engineer: str | None = typer.Option(None, "--engineer", "-e", help="Default: from .coordination/local.env."),
    wait: float = typer.Option(
        0,
        "--wait",
        "-w",
        min=0,
        max=MAX_WAIT_SECONDS,
        help=f"If held by others, queue and wait up to SECONDS (max {MAX_WAIT_SECONDS}).",
    ),
    urgency: Urgency = typer.Option(
        Urgency.NORMAL, "--urgency", "-u", help="Queue priority with --wait (blocking goes first)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Claim files, globs, modules or symbols before editing them (--wait: queue behind the holder)."""
    wanted = _wanted(patterns or [], symbol, as_json)
    with _client(as_json) as (client, env):
        if wait:
            err.print(f"waiting up to {wait:g}s in the claim queue if the scope is held...")

        def still_waiting(body: dict[str, Any]) -> None:
            entry = body["queue"]
            holders = ", ".join(sorted({b["engineer"] for b in entry.get("blocking", [])})) or "others"
            err.print(f"still waiting (entry {entry['id']}, place {entry.get('place')}, behind {holders})...")

        body = client.wait_for_claims(
            on_waiting=still_waiting,
            engineer=engineer or env.engineer,
            repo_id=env.repo_id,
            branch=branch,
            description=description,
            ttl_hours=ttl_hours,
            claims=[claim_item(p, type_, names or None) for p, names in wanted.items()],
            wait_seconds=wait or None,
            urgency=urgency if wait else None,
        )
    if as_json:
        output.emit_json(output.dump(_schemas().CreateClaimsOut, body))
        return
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


def extend(
    claim_ids: list[int] = typer.Argument(..., help="Your claim ids."),
    ttl_hours: float | None = typer.Option(
        None, "--ttl", help="Hours from now until the claims expire (default: the service's default TTL)."
    ),
    engineer: str | None = typer.Option(None, "--engineer", "-e", help="Default: from .coordination/local.env."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Extend your claims: each ends --ttl hours from now. With --json: a list, one answer per id."""
    if ttl_hours is not None and ttl_hours <= 0:
        output.usage_error("--ttl must be a positive number of hours", err, as_json)
    answers: list[Any] = []
    extended: list[dict[str, Any]] = []
    worst = output.EXIT_OK
    with _client(as_json) as (client, env):
        who = engineer or env.engineer
        for claim_id in claim_ids:
            try:
                body = client.extend_claim(claim_id, engineer=who, ttl_hours=ttl_hours)
            except CoordError as exc:
                # One refused id does not stop the others: report it and go on.
                err.print(f"claim {claim_id}:", end=" ")
                _report(exc)
                if as_json:
                    answers.append(output.error_body(exc))
                worst = max(worst, output.exit_code_for(exc))
                if exc.status == 0:
                    break  # the service is down: the other ids would fail the same way
                continue
            if as_json:
                answers.append(output.dump(_schemas().ExtendOut, body))
            extended.append(body)
    if as_json:
        output.emit_json(answers)
    else:
        if extended:
            _claims_table(extended, "Extended")
        for body in extended:
            for notice in body.get("pending_requests", []):
                out.print(f"[yellow]notice[/yellow]: {escape(str(notice.get('message', notice)))}")
    if worst:
        raise typer.Exit(worst)


def ls(
    everyone: bool = typer.Option(False, "--everyone", "-a", help="Show every engineer's claims."),
    engineer: str | None = typer.Option(
        None, "--engineer", "-e", help="Whose claims to show. Default: yours, from .coordination/local.env."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List active claims in this repo (yours unless --everyone), all of them: the API's pages are
    read one after the other, and --json prints them as one `GET /claims` answer."""
    with _client(as_json) as (client, env):
        who = None if everyone else (engineer or env.engineer or None)
        claims = client.list_claims(repo_id=env.repo_id, engineer=who)
    if as_json:
        output.emit_json(output.dump(_schemas().ClaimListOut, {"claims": claims, "next_cursor": None}))
        return
    _claims_table(claims, f"Active claims in {env.repo_id}" + ("" if everyone else f" held by {who}"))


def conflicts(
    paths: list[str] = typer.Argument(None, help="Paths you are about to edit."),
    symbol: list[str] = typer.Option([], "--symbol", "-s", help=SYMBOL_HELP),
    engineer: str | None = typer.Option(
        None,
        "--engineer",
        "-e",
        help="Who is about to edit (their own claims never conflict). Default: from local.env.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Would editing these paths collide with someone? Exit 0 safe, 3 conflicts."""
    whole, specs = scopes.symbol_specs(_wanted(paths or [], symbol, as_json))
    with _client(as_json) as (client, env):
        body = client.conflicts(paths=whole, symbols=specs, repo_id=env.repo_id, engineer=engineer or env.engineer)
    if as_json:
        output.emit_json(output.dump(_schemas().ConflictsOut, body))
    if body["safe"]:
        if not as_json:
            out.print("[green]safe[/green]: nobody else holds these paths")
        return
    _conflict_table(body["conflicts"], "Conflicts")
    if body.get("suggestion"):
        err.print(escape(body["suggestion"]))
    raise typer.Exit(output.EXIT_CONFLICT)


def register(app: typer.Typer) -> None:
    app.command()(claim)
    app.command()(release)
    app.command()(extend)
    app.command()(ls)
    app.command()(conflicts)
