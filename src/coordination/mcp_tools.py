"""The coord MCP tools, defined once for every transport.

The tools speak to a `ToolBackend` (`coordination.mcp_scope`), which answers two
questions per call: who is calling (`CallScope`: repo, engineer, session, and a
`CoordClient` to reach the API) and what the session looks like (`heartbeat`, `whoami`).

- `coord-mcp` (stdio, `coordination.mcp_bridge`): the scope comes from the resolved
  client environment and the client talks HTTP to the configured service.
- `/mcp` on the service (streamable HTTP, `coordination.api.mcp_http`): the scope comes
  from the request headers (`X-Coord-Repo`, `X-Coord-Engineer`, `X-Coord-Session`) and
  the client is wired to the app itself in-process, so each tool runs the very route
  an HTTP caller would (same validation, same errors, same auth).

Every tool returns a typed model (the API's response schemas, `coordination.mcp_types`),
so MCP clients get a structured result with an output schema; failures come back as
readable tool errors (`coordination.mcp_calls`); waits run in a worker thread with
progress notifications (`coordination.mcp_waits`).
"""

from __future__ import annotations

import functools
from typing import Any

from mcp.server.mcpserver import MCPServer as _Server
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from coordination import __version__
from coordination.api import schemas
from coordination.api import schemas_requests as rs
from coordination.client import claim_item
from coordination.core.limits import CLAIMS_PAGE
from coordination.core.vocabulary import ClaimType, Urgency
from coordination.mcp_calls import call, format_error, validate_symbols
from coordination.mcp_scope import CallScope, Context, ToolBackend
from coordination.mcp_types import (
    AnswerArg,
    Branch,
    ClaimIds,
    ClaimTypeArg,
    Description,
    ExtendClaimsOut,
    MyRequestsOut,
    Note,
    Paths,
    Pattern,
    Patterns,
    Reason,
    RequestStateArg,
    RoleArg,
    Symbols,
    Ticket,
    TtlHours,
    UrgencyArg,
    WaitSeconds,
    WhoamiOut,
)
from coordination.mcp_waits import to_thread, with_progress

# The tool set, and the names its front doors have always imported from here.
__all__ = ["INSTRUCTIONS", "CallScope", "Context", "ToolBackend", "build_server", "format_error"]

INSTRUCTIONS = """\
coord coordinates many agents editing one repo. Before editing files, call
check_conflicts; claim what you will edit with claim_files (smallest scope; symbols
for single functions); never edit files someone else holds; extend_claims on long
tasks; release_claims when done. whoami shows your engineer id and the service."""

# What an agent does with each answer; appended to the tools that can give it.
ON_CONFLICT = (
    "On a CONFLICT (409) nothing was claimed: do not edit those files; claim something "
    "else, retry with wait_seconds to queue, or ask the holder with request_release."
)
ON_INVALID = "On an invalid (400) error, fix the named argument and call again."


def _hints(
    read_only: bool = False, destructive: bool = False, idempotent: bool = False, title: str | None = None
) -> ToolAnnotations:
    return ToolAnnotations(
        title=title,
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


# -- the tools --------------------------------------------------------------------


def build_server(backend: ToolBackend) -> Any:
    """The MCP server with every coord tool, bound to `backend`."""
    server = _Server("coord", instructions=INSTRUCTIONS, version=__version__)

    @server.tool(annotations=_hints(read_only=True, idempotent=True, title="Check conflicts"))
    def check_conflicts(
        ctx: Context,
        paths: Paths,
        symbols: Paths | None = None,
        engineer: str | None = None,
        repo_id: str | None = None,
    ) -> schemas.ConflictsOut:
        """Check whether editing these repo-relative paths would conflict with active
        claims, without claiming anything. `symbols` use `path::Name` (e.g.
        `src/router.ts::Router::handleAuth`). `safe_to_proceed: true`: claim and edit;
        false: the `conflicts` name the holders, so claim something else, queue with
        claim_files(wait_seconds=...) or ask them with request_release."""
        scope = backend.scope(ctx)
        body = call(
            "check_conflicts",
            scope.client.conflicts,
            paths=paths,
            repo_id=scope.repo(repo_id),
            engineer=scope.who(engineer) if (engineer or scope.engineer) else None,
            symbols=symbols,
        )
        return schemas.ConflictsOut.model_validate(body)

    @server.tool(annotations=_hints(title="Claim files"))
    async def claim_files(
        ctx: Context,
        patterns: Patterns | None = None,
        engineer: str | None = None,
        symbols: dict[str, Symbols] | None = None,
        ttl_hours: TtlHours | None = None,
        description: Description | None = None,
        branch: Branch | None = None,
        claim_type: ClaimTypeArg = ClaimType.FILE,
        wait_seconds: WaitSeconds | None = None,
        urgency: UrgencyArg | None = None,
        repo_id: str | None = None,
        resume: Ticket | None = None,
    ) -> schemas.CreateClaimsOut:
        """Claim files or globs (repo-relative, e.g. `src/auth/**`) before editing them,
        all or nothing. `symbols` maps a file to the declarations to claim
        (`{"src/a.ts": ["Router::handleAuth"]}`) so agents editing different functions of
        one file coexist. `wait_seconds` waits in the claim queue when the scope
        is held; `urgency` orders the queue (blocking > high > normal > low).
        Outcomes:
        - granted: the answer lists your `claims`; edit only inside them, extend_claims on
          long tasks, release_claims when done. `pending_requests` carries notices for you.
        - conflict (409, a tool error): nothing was claimed and the holders are named; do
          not edit those files; claim something else, ask a holder with request_release,
          or call again with wait_seconds to queue.
        - invalid (400, a tool error): the named argument is wrong; fix it and call again.
        - queued (with wait_seconds): the call returns once the queue grants the claims
          (the answer has `queue: {id, state: granted, waited_sec}`), or fails with a
          conflict when the wait ends; my_requests(queued=True) shows who you wait on and
          cancel_queue_request gives up the wait. Progress notifications are sent while
          it waits (when the call has a progressToken).
        - still waiting: one call waits at most about 50 s (the service's
          COORD_MAX_CALL_WAIT_SEC); a longer wait_seconds answers `queue: {state:
          waiting, ticket, resume_before}` with no claims. Call
          claim_files(resume=<ticket>) before resume_before to keep your place in line
          (patterns and wait_seconds are then taken from the ticket); otherwise the
          entry is dropped. Do not edit the files meanwhile.
        - deadlock (409, a tool error): waiting would close a cycle (you hold what they
          wait for, they hold what you want); nothing was queued. Release what the
          suggestion names, then claim again."""
        scope = backend.scope(ctx)
        patterns = patterns or []
        symbols = symbols or {}
        items: list[dict[str, Any]] = []
        if not resume:
            validate_symbols(scope.local_root, symbols)
            items = [claim_item(p, claim_type, symbols.get(p)) for p in patterns]
            items += [claim_item(p, claim_type, s) for p, s in symbols.items() if p not in patterns]
            if not items:
                raise ToolError("claim_files needs at least one pattern (or resume=<ticket>)")
        request = functools.partial(
            call,
            "claim_files",
            scope.client.create_claims,
            engineer=scope.who(engineer),
            claims=items,
            repo_id=scope.repo(repo_id),
            session_id=scope.session_id,
            branch=branch,
            description=description,
            ttl_hours=ttl_hours,
            wait_seconds=wait_seconds or None,
            urgency=urgency,
            resume=resume or None,
        )
        waits = bool(wait_seconds or resume)
        body = await with_progress(ctx, request, wait_seconds or None) if waits else await to_thread(request)
        return schemas.CreateClaimsOut.model_validate(body)

    @server.tool(annotations=_hints(destructive=True, idempotent=True, title="Release claims"))
    def release_claims(
        ctx: Context,
        claim_ids: ClaimIds | None = None,
        pattern: Pattern | None = None,
        engineer: str | None = None,
        session_only: bool = False,
        repo_id: str | None = None,
    ) -> schemas.ReleaseOut:
        """Release your claims when done: the given ids, or those on exactly `pattern`,
        or all of the engineer's claims in this repo (only this session's with
        session_only). Only claims held by that exact engineer id are released; naming
        someone else's claim id is refused (ask them with request_release). `released`
        lists the ids given up; an empty list means nothing matched (already released
        or expired), which is fine."""
        scope = backend.scope(ctx)
        if session_only and not scope.session_id:
            raise ToolError("session_only needs a session id (COORD_SESSION_ID / X-Coord-Session)")
        released = call(
            "release_claims",
            scope.client.release_claims,
            repo_id=scope.repo(repo_id),
            engineer=scope.who(engineer),
            session_id=scope.session_id if session_only else None,
            pattern=pattern,
            claim_ids=claim_ids,
        )
        return schemas.ReleaseOut(released=released)

    @server.tool(annotations=_hints(idempotent=True, title="Extend claims"))
    def extend_claims(
        ctx: Context,
        ttl_hours: TtlHours,
        claim_ids: ClaimIds | None = None,
        engineer: str | None = None,
        repo_id: str | None = None,
    ) -> ExtendClaimsOut:
        """Extend your claims to `ttl_hours` from now: the given ids, or all of the
        engineer's active claims in this repo. Another engineer's claim is refused: a 403
        means the claim is not yours, a 404/409 that it ended: claim the files again
        before editing."""
        scope = backend.scope(ctx)
        who = scope.who(engineer)
        ids = claim_ids
        if not ids:
            mine = call(
                "extend_claims", scope.client.list_claims, repo_id=scope.repo(repo_id), engineer=who, active=True
            )
            ids = [int(c["id"]) for c in mine if isinstance(c, dict) and "id" in c]
        extended = [
            call(f"extend_claims (claim #{i})", scope.client.extend_claim, i, engineer=who, ttl_hours=ttl_hours)
            for i in ids
        ]
        return ExtendClaimsOut.model_validate({"extended": extended})

    @server.tool(annotations=_hints(read_only=True, idempotent=True, title="List claims"))
    def list_claims(
        ctx: Context,
        engineer: str | None = None,
        pattern: str | None = None,
        mine: bool = False,
        active: bool = True,
        repo_id: str | None = None,
    ) -> schemas.ClaimListOut:
        """List claims in this repo (active ones by default), newest first, at most 1,000; `mine=True` for your own."""
        scope = backend.scope(ctx)
        who = scope.who(None) if mine else engineer
        claims = call(
            "list_claims",
            scope.client.list_claims,
            repo_id=scope.repo(repo_id),
            engineer=who,
            pattern=pattern,
            active=active,
            # One page, as the API answers by default: a tool answer goes into an agent's context,
            # and `active=False` over a long history would be every claim ever made.
            limit=CLAIMS_PAGE.default,
        )
        return schemas.ClaimListOut.model_validate({"claims": claims})

    @server.tool(annotations=_hints(title="Request release"))
    def request_release(
        ctx: Context,
        claim_id: int,
        reason: Reason,
        urgency: UrgencyArg = Urgency.NORMAL,
        pattern: Pattern | None = None,
        symbols: Symbols | None = None,
        engineer: str | None = None,
        repo_id: str | None = None,
    ) -> rs.ReleaseRequestOut:
        """Ask the holder of a claim that blocks you (claim_id from a conflict) to give
        it up. The holder's remaining time is cut short so it must decide soon; it
        answers release, narrow, coexist or deny, and you see the answer in
        my_requests and as a notice on your next call. `pattern`/`symbols` say what
        you want, when it is less than the whole claim. Until it is answered, work on
        something else (or queue with claim_files(wait_seconds=...))."""
        scope = backend.scope(ctx)
        body: dict[str, Any] = {
            "repo_id": scope.repo(repo_id),
            "requester": scope.who(engineer),
            "claim_id": claim_id,
            "reason": reason,
            "urgency": urgency,
            "session_id": scope.session_id,
        }
        if pattern:
            body["pattern"] = pattern
        if symbols:
            body["symbols"] = symbols
        result = call("request_release", scope.client.request, "POST", "/requests", json=body)
        return rs.ReleaseRequestOut.model_validate(result)

    @server.tool(annotations=_hints(destructive=True, title="Respond to a release request"))
    def respond_to_request(
        ctx: Context,
        request_id: int,
        answer: AnswerArg,
        keep_pattern: Pattern | None = None,
        keep_symbols: Symbols | None = None,
        note: Note | None = None,
        engineer: str | None = None,
    ) -> rs.RespondOut:
        """Answer a release request made to you: `release` gives the claim up,
        `narrow` keeps only `keep_pattern` or `keep_symbols`, `coexist` lets the
        requester in beside you, `deny` keeps everything (your time stays short).
        After release or narrow, stop editing what you gave up."""
        scope = backend.scope(ctx)
        body: dict[str, Any] = {"engineer": scope.who(engineer), "answer": answer}
        for key, value in (("keep_pattern", keep_pattern), ("keep_symbols", keep_symbols), ("note", note)):
            if value:
                body[key] = value
        path = f"/requests/{int(request_id)}/respond"
        return rs.RespondOut.model_validate(call("respond_to_request", scope.client.request, "POST", path, json=body))

    @server.tool(annotations=_hints(read_only=True, idempotent=True, title="My requests"))
    def my_requests(
        ctx: Context,
        role: RoleArg | None = None,
        state: RequestStateArg | None = None,
        engineer: str | None = None,
        queued: bool = False,
        repo_id: str | None = None,
    ) -> MyRequestsOut:
        """Release requests you made (role=requester) or that were made to you
        (role=holder); both when role is omitted. Answer open requests made to you with
        respond_to_request. queued=True instead lists your waiting claim-queue entries
        (`queue`), each with the claims (holder, pattern) it waits on."""
        scope = backend.scope(ctx)
        params = {"repo_id": scope.repo(repo_id), "engineer": scope.who(engineer)}
        if queued:
            if role or state:
                raise ToolError("queued=True lists claim-queue entries: role and state do not apply")
            params["queued"] = "true"
        if role:
            params["role"] = role
        if state:
            params["state"] = state
        return MyRequestsOut.model_validate(
            call("my_requests", scope.client.request, "GET", "/requests", params=params)
        )

    @server.tool(annotations=_hints(destructive=True, title="Cancel a queued claim"))
    def cancel_queue_request(ctx: Context, queue_id: int, engineer: str | None = None) -> rs.QueueEntryOut:
        """Give up waiting in the claim queue: the entry is cancelled and the waiting
        claim_files call returns a conflict. queue_id is from my_requests(queued=True)."""
        scope = backend.scope(ctx)
        params = {"engineer": scope.who(engineer)}
        path = f"/queue/{int(queue_id)}"
        return rs.QueueEntryOut.model_validate(
            call("cancel_queue_request", scope.client.request, "DELETE", path, params=params)
        )

    @server.tool(annotations=_hints(idempotent=True, title="Heartbeat"))
    def heartbeat(ctx: Context, repo_id: str | None = None) -> schemas.HeartbeatOut:
        """Mark this session active now (coord-mcp also does it every minute). The answer
        carries notices for you in `pending_requests`."""
        scope = backend.scope(ctx)
        if not scope.session_id:
            raise ToolError("heartbeat needs a session id: send the X-Coord-Session header")
        return schemas.HeartbeatOut.model_validate(call("heartbeat", backend.heartbeat, scope, scope.repo(repo_id)))

    @server.tool(annotations=_hints(read_only=True, idempotent=True, title="Who am I"))
    def whoami(ctx: Context) -> WhoamiOut:
        """The resolved configuration: service, repo id, engineer, session id and where
        each came from. Never includes the token itself."""
        return WhoamiOut.model_validate(backend.whoami(backend.scope(ctx)))

    return server
