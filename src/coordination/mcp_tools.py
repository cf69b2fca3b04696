"""The coord MCP tools, defined once for every transport.

The tools speak to a `ToolBackend`, which answers two questions per call: who is
calling (`CallScope`: repo, engineer, session, and a `CoordClient` to reach the API)
and what the session looks like (`heartbeat`, `whoami`).

- `coord-mcp` (stdio, `coordination.mcp_bridge`): the scope comes from the resolved
  client environment and the client talks HTTP to the configured service.
- `/mcp` on the service (streamable HTTP, `coordination.api.mcp_http`): the scope comes
  from the request headers (`X-Coord-Repo`, `X-Coord-Engineer`, `X-Coord-Session`) and
  the client is wired to the app itself in-process, so each tool runs the very route
  an HTTP caller would (same validation, same errors, same auth).

Every tool returns a typed model (the API's response schemas), so MCP clients get a
structured result with an output schema; failures come back as readable tool errors.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver import MCPServer as _Server
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from coordination import __version__
from coordination.api import schemas
from coordination.api import schemas_requests as rs
from coordination.client import CoordClient, CoordError, CoordUnreachable, claim_item
from coordination.core import limits as lim
from coordination.core.vocabulary import Answer, ClaimType, RequestState, Role, Urgency

log = logging.getLogger("coord.mcp")

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


# -- parameter types: the API's vocabulary and limits (core.vocabulary, core.limits) ---------


def _choice(enum: type[StrEnum]) -> WithJsonSchema:
    """An enum parameter spelled inline (`{"type": "string", "enum": [...]}`), as clients read best."""
    return WithJsonSchema({"type": "string", "enum": [member.value for member in enum]})


ClaimTypeArg = Annotated[ClaimType, _choice(ClaimType)]
UrgencyArg = Annotated[Urgency, _choice(Urgency)]
AnswerArg = Annotated[Answer, _choice(Answer)]
RoleArg = Annotated[Role, _choice(Role)]
RequestStateArg = Annotated[RequestState, _choice(RequestState)]
Paths = Annotated[list[str], Field(max_length=lim.MAX_ITEMS)]
Patterns = Annotated[list[str], Field(max_length=lim.MAX_ITEMS, description="at most this many items in all")]
Pattern = Annotated[str, Field(max_length=lim.MAX_PATTERN_LENGTH)]
Symbols = Annotated[
    list[Annotated[str, Field(max_length=lim.MAX_SYMBOL_LENGTH)]], Field(max_length=lim.MAX_SYMBOLS_PER_CLAIM)
]
ClaimIds = Annotated[list[int], Field(max_length=lim.MAX_RELEASE_IDS)]
WaitSeconds = Annotated[
    float,
    Field(
        ge=0, le=lim.MAX_WAIT_SECONDS, description=f"seconds to wait in the claim queue, at most {lim.MAX_WAIT_SECONDS}"
    ),
]
Description = Annotated[str, Field(max_length=lim.MAX_DESCRIPTION_LENGTH)]
Branch = Annotated[str, Field(max_length=lim.MAX_BRANCH_LENGTH)]
Reason = Annotated[str, Field(min_length=1, max_length=lim.MAX_REASON_LENGTH)]
Note = Annotated[str, Field(max_length=lim.MAX_NOTE_LENGTH)]
TtlHours = Annotated[float, Field(description=schemas.TTL_HELP)]
Ticket = Annotated[
    str,
    Field(max_length=lim.MAX_TICKET_LENGTH, description="the queue.ticket of an answer that is still waiting"),
]


# -- output models (the API's own response schemas, plus a few envelopes) ----------


class ExtendClaimsOut(BaseModel):
    extended: list[schemas.ExtendOut] = Field(description="each claim with its new expiry")


class MyRequestsOut(BaseModel):
    requests: list[rs.ReleaseRequestOut] | None = Field(None, description="release requests (when queued is false)")
    queue: list[rs.QueueEntryOut] | None = Field(None, description="your claim-queue entries (when queued is true)")


class WhoamiOut(BaseModel):
    transport: Literal["stdio", "http"]
    version: str
    api_url: str | None = Field(None, description="the service this bridge talks to (stdio)")
    repo_id: str | None
    engineer: str | None
    session_id: str | None
    model_config = ConfigDict(extra="allow")


# -- the backend protocol ---------------------------------------------------------


@dataclass(frozen=True)
class CallScope:
    """Who one tool call acts for, and the API client it goes through."""

    client: CoordClient
    repo_id: str | None
    engineer: str | None
    session_id: str | None
    local_root: Path | None = None  # set when the repo is on this machine: symbols are pre-checked
    engineer_hint: str = "set COORD_ENGINEER"

    def repo(self, given: str | None) -> str:
        if given and given.strip():
            return given.strip()
        if self.repo_id:
            return self.repo_id
        raise ToolError("repo_id is required: pass repo_id or send the X-Coord-Repo header")

    def who(self, given: str | None) -> str:
        if given and given.strip():
            return given.strip()
        if self.engineer:
            return self.engineer
        raise ToolError(f"engineer is required: pass engineer or {self.engineer_hint}")


class ToolBackend(Protocol):
    def scope(self, ctx: Context) -> CallScope: ...

    def heartbeat(self, scope: CallScope, repo_id: str) -> dict[str, Any]: ...

    def whoami(self, scope: CallScope) -> dict[str, Any]: ...


# -- errors -----------------------------------------------------------------------


def call(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one API call; turn every failure into a readable ToolError."""
    try:
        return fn(*args, **kwargs)
    except CoordUnreachable as exc:
        raise ToolError(
            f"{what} failed: {exc.detail}. Is the coord service running (`coord start`, `coord doctor`)?"
        ) from None
    except CoordError as exc:
        raise ToolError(format_error(what, exc)) from None


def format_error(what: str, exc: CoordError) -> str:
    if exc.status == 409 and exc.error == "deadlock":
        lines = [f"{what}: DEADLOCK - nothing was claimed or queued. {exc.detail}"]
        if exc.suggestion:
            lines.append(f"Suggestion: {exc.suggestion}")
        lines.append("Do not edit the files you asked for; release what the suggestion names, then claim again.")
        return "\n".join(lines)
    if exc.status == 409:
        lines = [f"{what}: CONFLICT - nothing was claimed. {exc.detail}"]
        for c in exc.conflicts:
            symbols = c.get("symbols") or []
            sym = f" symbols {', '.join(map(str, symbols))}" if symbols else ""
            lines.append(
                f"- {c.get('requested_pattern') or c.get('pattern')}: held by "
                f"{c.get('engineer')} (claim #{c.get('claim_id')} on {c.get('pattern')}{sym}, "
                f"expires {c.get('expires_at')})"
            )
        if exc.suggestion:
            lines.append(f"Suggestion: {exc.suggestion}")
        lines.append(
            "Do not edit these files. Claim something else, wait for the claim to expire, "
            "or ask the holder to release it."
        )
        return "\n".join(lines)
    if exc.status == 401:
        return (
            f"{what}: 401 unauthorized ({exc.detail}). The token is missing or wrong: set "
            "COORD_AUTH_TOKEN in .coordination/local.env (see `coord doctor`)."
        )
    if exc.status == 400:
        return f"{what}: 400 invalid: {exc.detail}. Fix that argument and call again."
    return f"{what}: {exc.status} {exc.error}: {exc.detail}"


def validate_symbols(root: Path | None, symbols: dict[str, list[str]]) -> None:
    """Local pre-validation of symbol names against the file on disk (fails fast on typos).

    Only where the repo is on this machine (`root`); skipped for files that do not exist
    yet and unsupported languages. The service validates again.
    """
    if root is None or not symbols:
        return
    try:
        from coordination import parsers
    except Exception:  # noqa: BLE001 - validation is best effort
        return
    problems = []
    for path, wanted in symbols.items():
        file = root / path
        if not wanted or not file.is_file() or parsers.language_for(path) is None:
            continue
        try:
            known = parsers.symbols_for_file(path, file.read_bytes())
        except Exception as exc:  # noqa: BLE001 - unparsable file: let the service decide
            log.debug("symbol pre-validation skipped for %s: %s", path, exc)
            continue
        for name in wanted:
            if name not in known:
                close = parsers.closest_symbols(name, known, limit=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                problems.append(f"{path}: no symbol {name!r}{hint}")
    if problems:
        raise ToolError(
            "Unknown symbols, nothing was claimed:\n"
            + "\n".join(problems)
            + "\n(set COORD_DISABLE_CLIENT_VALIDATION=1 to skip this local check)"
        )


# -- waiting ----------------------------------------------------------------------

PROGRESS_EVERY_SEC = 2.0


async def to_thread(fn: Callable[[], Any]) -> Any:
    """Run a blocking API call in a worker thread (the in-process transport needs one)."""
    return await anyio.to_thread.run_sync(fn)


async def with_progress(ctx: Context, fn: Callable[[], Any], total: float | None) -> Any:
    """`fn()` in a worker thread; meanwhile a progress notification every PROGRESS_EVERY_SEC.

    The SDK sends them only when the call carried a progressToken, so clients that
    reset their timeout on progress keep waiting. Progress is the seconds waited
    by this call; `total` the wait asked for, when known.
    """
    done = anyio.Event()
    started = time.monotonic()

    async def tick() -> None:
        while not done.is_set():
            with anyio.move_on_after(PROGRESS_EVERY_SEC):
                await done.wait()
            if done.is_set():
                return
            waited = round(time.monotonic() - started, 1)
            try:
                await ctx.report_progress(waited, total, f"waiting in the claim queue ({waited:g}s)")
            except Exception:  # noqa: BLE001 - a lost notification must not end the wait
                log.debug("progress notification failed", exc_info=True)

    failed: list[Exception] = []
    result: Any = None
    async with anyio.create_task_group() as group:
        group.start_soon(tick)
        try:
            result = await anyio.to_thread.run_sync(fn)
        except Exception as exc:  # noqa: BLE001 - re-raised below, outside the task group
            failed.append(exc)  # (inside it a ToolError would reach the client wrapped in a group)
        finally:
            done.set()
    if failed:
        raise failed[0]
    return result


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
        """List claims in this repo (active ones by default); `mine=True` for your own."""
        scope = backend.scope(ctx)
        who = scope.who(None) if mine else engineer
        claims = call(
            "list_claims",
            scope.client.list_claims,
            repo_id=scope.repo(repo_id),
            engineer=who,
            pattern=pattern,
            active=active,
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
