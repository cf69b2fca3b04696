"""`coord request-release`, `coord respond`, `coord requests`, `coord cancel-request`.

Release requests from the command line: ask the holder of a blocking claim to
give it up, answer a request addressed to you, follow your requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from coordination import clientenv
from coordination.cli import output
from coordination.cli.output import escape
from coordination.client import CoordClient, CoordError
from coordination.core.vocabulary import Answer, RequestState, Role, Urgency

out = output.console()
err = output.console(stderr=True)


def _connect(env: clientenv.ClientEnv) -> CoordClient:
    # Not a long-lived session: a claim granted through a request must not idle-expire with the CLI.
    return CoordClient(env.api_url, env.token, session_id=None)


@contextmanager
def _client(as_json: bool = False) -> Iterator[tuple[CoordClient, clientenv.ClientEnv]]:
    env = clientenv.resolve(tool="cli")
    with _connect(env) as client:
        try:
            yield client, env
        except CoordError as exc:
            output.print_error(exc, err)
            output.fail(exc, as_json)


def _scope(pattern: str, symbols: list[str] | None) -> str:
    return escape(pattern + (f" [{', '.join(symbols)}]" if symbols else ""))


def _requests_table(requests: list[dict[str, Any]], title: str) -> None:
    table = output.table(
        title, ("id", "state", "requester", "holder", "claim", "wanted", "urgency", "answer", "reason")
    )
    for r in requests:
        table.add_row(
            str(r["id"]),
            r["state"],
            escape(r["requester"]),
            escape(r["holder"]),
            str(r["claim_id"]),
            _scope(r["wanted_pattern"], r["wanted_symbols"]),
            r["urgency"],
            r["answer"] or "",
            escape(r["reason"]),
        )
    out.print(table)


def request_release(
    claim_id: int = typer.Argument(..., help="The blocking claim (see the conflict table)."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why you need the scope."),
    urgency: Urgency = typer.Option(Urgency.NORMAL, "--urgency", "-u", help="How soon you need it."),
    pattern: str | None = typer.Option(None, "--pattern", "-p", help="What you want; default: the whole claim."),
    symbol: list[str] = typer.Option([], "--symbol", "-s", help="Only this symbol of the file (repeatable)."),
    engineer: str | None = typer.Option(None, "--engineer", "-e", help="Default: from .coordination/local.env."),
) -> None:
    """Ask the holder of a claim to release it; their TTL is cut to a few minutes."""
    with _client() as (client, env):
        body: dict[str, Any] = {
            "repo_id": env.repo_id,
            "requester": engineer or env.engineer,
            "claim_id": claim_id,
            "reason": reason,
            "urgency": urgency,
        }
        if pattern:
            body["pattern"] = pattern
        if symbol:
            body["symbols"] = list(symbol)
        made = client.request("POST", "/requests", json=body)
    _requests_table([made], "Release request filed")
    claim = made.get("claim") or {}
    out.print(f"{made['holder']} is asked to answer; their claim now ends at {claim.get('expires_at', '?')}.")


def respond(
    request_id: int = typer.Argument(..., help="The request addressed to you."),
    answer: Answer = typer.Argument(..., help="Give the claim up, keep part of it, share it, or keep it."),
    keep_pattern: str | None = typer.Option(None, "--keep-pattern", help="narrow: the part you keep."),
    keep_symbol: list[str] = typer.Option([], "--keep-symbol", help="narrow: a symbol you keep (repeatable)."),
    note: str | None = typer.Option(None, "--note", "-n", help="A word for the requester."),
    engineer: str | None = typer.Option(None, "--engineer", "-e", help="Default: from .coordination/local.env."),
) -> None:
    """Answer a release request addressed to you."""
    with _client() as (client, env):
        body: dict[str, Any] = {"engineer": engineer or env.engineer, "answer": answer}
        if keep_pattern is not None:
            body["keep_pattern"] = keep_pattern
        if keep_symbol:
            body["keep_symbols"] = list(keep_symbol)
        if note:
            body["note"] = note
        done = client.request("POST", f"/requests/{int(request_id)}/respond", json=body)
    _requests_table([done], f"Request {request_id} answered: {answer}")
    claim = done.get("claim") or {}
    if claim:
        out.print(f"your claim {claim['id']}: {_scope(claim['pattern'], claim['symbols'])} ({claim['state']})")
    granted = done.get("granted")
    if granted:
        out.print(
            f"{granted['engineer']} now holds claim {granted['id']}: {_scope(granted['pattern'], granted['symbols'])}"
        )


def requests(
    role: Role | None = typer.Option(None, "--role", help="holder (asked of you) or requester (you asked)."),
    state: RequestState | None = typer.Option(None, "--state", help="Only requests in this state."),
    everyone: bool = typer.Option(False, "--everyone", "-a", help="Every engineer's requests in this repo."),
    engineer: str | None = typer.Option(None, "--engineer", "-e", help="Default: from .coordination/local.env."),
    as_json: bool = typer.Option(False, "--json", help=output.JSON_OPTION_HELP),
) -> None:
    """List release requests you asked for or that are addressed to you."""
    with _client(as_json) as (client, env):
        who = None if everyone else (engineer or env.engineer)
        params = {
            k: v
            for k, v in {"repo_id": env.repo_id, "engineer": who, "role": role if who else None, "state": state}.items()
            if v
        }
        body = client.request("GET", "/requests", params=params)
    if as_json:
        from coordination.api import schemas_requests

        output.emit_json(output.dump(schemas_requests.ReleaseRequestListOut, body))
        return
    found = body["requests"]
    title = f"Release requests in {env.repo_id}"
    if who:
        title += f" for {who}" + (f" as {role}" if role else "")
    _requests_table(found, title)


def cancel_request(
    request_id: int = typer.Argument(..., help="Your open request."),
    engineer: str | None = typer.Option(None, "--engineer", "-e", help="Default: from .coordination/local.env."),
) -> None:
    """Withdraw a release request you filed; the holder keeps its full TTL."""
    with _client() as (client, env):
        done = client.request(
            "POST", f"/requests/{int(request_id)}/cancel", json={"engineer": engineer or env.engineer}
        )
    _requests_table([done], f"Request {request_id} cancelled")


def register(app: typer.Typer) -> None:
    app.command("request-release")(request_release)
    app.command("respond")(respond)
    app.command("requests")(requests)
    app.command("cancel-request")(cancel_request)
