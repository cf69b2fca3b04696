"""Claims: create, list, read, release, extend, check, verify, heartbeat."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from coordination import __version__
from coordination.api import pagination, schemas, waiting
from coordination.api.deps import AuthDep, IdPath, ServiceDep
from coordination.api.responses import typed_json
from coordination.api.threads import offload, write
from coordination.core.limits import CLAIMS_PAGE, MAX_CURSOR_LENGTH, MAX_ENGINEER_LENGTH, MAX_ID, MAX_ITEMS
from coordination.core.model import ClaimItem, ClaimType
from coordination.core.vocabulary import QueueState
from coordination.service import ClaimRequest

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ErrorOut, "description": "invalid request, with the reason"},
    401: {"model": schemas.ErrorOut, "description": "missing or wrong bearer token"},
    413: {"model": schemas.ErrorOut, "description": "the request body is larger than COORD_MAX_BODY_BYTES"},
    503: {
        "model": schemas.ErrorOut,
        "description": "the database is locked, unreachable or failing (retry later), with the reason",
    },
}
router = APIRouter(dependencies=[AuthDep], responses=ERRORS)


@router.get("/auth/check", tags=["health"], summary="The bearer token is valid")
async def auth_check() -> dict[str, Any]:
    """200 when the bearer token is the service's token (401 otherwise); also reports the service version.
    Clients call it to check their wiring."""
    return {"ok": True, "version": __version__}


@router.post(
    "/claims",
    tags=["claims"],
    summary="Claim scopes, all or nothing",
    response_model=schemas.CreateClaimsOut,
    responses={
        202: {
            "model": schemas.CreateClaimsOut,
            "description": "still waiting: the call waited COORD_MAX_CALL_WAIT_SEC; `queue.ticket` resumes it",
        },
        403: {"model": schemas.ErrorOut, "description": "resume: the ticket belongs to another engineer"},
        404: {"model": schemas.ErrorOut, "description": "resume: no queue entry has this ticket"},
        409: {
            "model": schemas.ConflictOut,
            "description": "overlaps claims held by others (with wait_seconds: the wait ended or was cancelled; "
            "`error: deadlock` with the `cycle` when waiting would close a cycle of waiters, nothing queued; "
            "resume: the entry ended, or the ticket is for another repo)",
        },
        503: {
            "model": schemas.ErrorOut,
            "description": "too many queue waiters on this server, or it is shutting down (the wait ended)",
        },
    },
)
async def create_claims(body: schemas.CreateClaimsIn, service: ServiceDep, http: Request) -> Response:
    """All or nothing. With `wait_seconds > 0` a conflicting request joins the claim queue and
    this call long-polls (in a worker thread) until the queue grants it, the entry is
    cancelled (`DELETE /queue/{queue_id}`) or the wait ends. Closing the connection
    ends the wait: the entry is abandoned and never granted. One call waits at most
    COORD_MAX_CALL_WAIT_SEC: a longer wait answers 202 with `queue.ticket`, and a call
    with `resume: <ticket>` waits again in the same place (before `queue.resume_before`).
    A wait that would close a cycle of waiters answers 409 `deadlock` at once."""
    request = ClaimRequest(
        engineer=body.engineer,
        repo_id=body.repo_id,
        session_id=body.session_id,
        branch=body.branch,
        description=body.description,
        ttl_hours=body.ttl_hours,
        items=[ClaimItem(ClaimType(i.type), i.pattern, tuple(i.symbols or ()), i.literal) for i in body.claims],
        wait_seconds=body.wait_seconds,
        urgency=body.urgency,
        resume=body.resume,
    )
    if request.wait_seconds > 0 or request.resume:
        result = await waiting.while_connected(http, lambda presence: service.claim(request, presence))
    else:
        result = await write(service, service.claim, request)
    answer = schemas.CreateClaimsOut.model_validate(result, from_attributes=True)
    still_waiting = result.queue is not None and result.queue.state is QueueState.WAITING
    return typed_json(answer, 202 if still_waiting else 200)


@router.get("/claims", tags=["claims"], summary="List claims", response_model=schemas.ClaimListOut)
async def list_claims(
    request: Request,
    response: Response,
    service: ServiceDep,
    repo_id: str | None = None,
    engineer: str | None = None,
    session_id: str | None = None,
    pattern: str | None = None,
    active: bool = True,
    limit: Annotated[int, Query(ge=1, le=CLAIMS_PAGE.maximum, description="claims per page")] = CLAIMS_PAGE.default,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="the next_cursor of the previous page")
    ] = None,
) -> schemas.ClaimListOut:
    """Claims, newest first (`active=true`: only live ones). A full page carries `next_cursor` and a
    `Link: <...>; rel="next"` header; pass the cursor back to read the next page."""
    before = pagination.decode(cursor)
    rows = await offload(service.list_claims, repo_id, engineer, session_id, pattern, active, limit + 1, before)
    claims, next_cursor = pagination.page(request, response, rows, limit)
    return schemas.ClaimListOut.model_validate({"claims": claims, "next_cursor": next_cursor}, from_attributes=True)


@router.get(
    "/claims/{claim_id}",
    tags=["claims"],
    summary="One claim, with its fencing token",
    response_model=schemas.ClaimOut,
    responses={404: {"model": schemas.ErrorOut}},
)
async def get_claim(claim_id: IdPath, service: ServiceDep) -> schemas.ClaimOut:
    """One claim in any state (active, released, expired, idle_expired), with its fencing token; 404 for an
    unknown id."""
    return schemas.ClaimOut.model_validate(await offload(service.get_claim, claim_id), from_attributes=True)


@router.delete(
    "/claims/{claim_id}",
    tags=["claims"],
    summary="Release one claim",
    response_model=schemas.ReleaseOut,
    responses={
        403: {"model": schemas.ErrorOut, "description": "another engineer holds it and force is not set"},
        404: {"model": schemas.ErrorOut},
        409: {"model": schemas.ErrorOut, "description": "if_fence differs from the claim's fence"},
    },
)
async def release_claim(
    claim_id: IdPath,
    service: ServiceDep,
    engineer: Annotated[
        str, Query(max_length=MAX_ENGINEER_LENGTH, description="the engineer releasing (the holder's exact id)")
    ],
    force: Annotated[bool, Query(description="release another engineer's claim (recorded with you as actor)")] = False,
    if_fence: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="only if the claim's fence is still this")
    ] = None,
) -> Response:
    """Release one claim as `engineer` (required). Only the holder's exact id releases it, unless `force=true`
    (audited with the real actor); `if_fence` makes it conditional on the grant still being the one you hold
    (409 otherwise). Releasing an ended claim is a no-op (`released: []`)."""
    released = await write(service, service.release, claim_id, engineer, force, if_fence)
    return typed_json(schemas.ReleaseOut(released=released))


@router.post(
    "/claims/release",
    tags=["claims"],
    summary="Release your claims in bulk (by session, pattern or ids); force=true for everyone's",
    response_model=schemas.ReleaseOut,
    responses={403: {"model": schemas.ErrorOut, "description": "claim_ids names another engineer's claim"}},
)
async def release_many(body: schemas.ReleaseIn, service: ServiceDep) -> dict[str, Any]:
    """Release claims in bulk as `engineer`: yours in the repo, narrowed by `session_id`, `pattern` or
    `claim_ids`. With `force=true` the filters match every engineer's claims (one of them is then required).
    Answers the ids released."""
    released = await write(
        service,
        service.release_many,
        body.repo_id,
        body.engineer,
        body.session_id,
        body.pattern,
        body.claim_ids,
        body.force,
    )
    return {"released": released}


@router.post(
    "/claims/{claim_id}/extend",
    tags=["claims"],
    summary="Extend a claim's TTL from now",
    response_model=schemas.ExtendOut,
    responses={
        403: {"model": schemas.ErrorOut},
        404: {"model": schemas.ErrorOut},
        409: {"model": schemas.ErrorOut},
    },
)
async def extend_claim(claim_id: IdPath, body: schemas.ExtendIn, service: ServiceDep) -> schemas.ExtendOut:
    """Push a live claim's expiry out by `ttl_hours` (default: the type's TTL), as its holder or with
    `force=true`; `if_fence` as for release. An expired or idle-expired claim cannot be extended: 409 with its
    `state` and the reason."""
    extended = await write(service, service.extend, claim_id, body.engineer, body.ttl_hours, body.force, body.if_fence)
    return schemas.ExtendOut.model_validate(extended, from_attributes=True)


@router.post(
    "/claims/verify",
    tags=["claims"],
    summary="Which of these paths are ours, which are theirs",
    response_model=schemas.VerifyOut,
)
async def verify(body: schemas.VerifyIn, service: ServiceDep) -> schemas.VerifyOut:
    """The pre-push check: for each changed path, the live claims of others that cover it (`theirs`), your own
    (`ours`), and paths that could not be checked (`unchecked`, never a 400 for the whole batch). Each entry
    says whether its holder is the same person as you (`same_person`)."""
    verified = await offload(service.verify, body.repo_id, body.engineer, body.paths)
    return schemas.VerifyOut.model_validate(verified, from_attributes=True)


# Paths and symbols count together against the item limit, so the service checks it (400 naming `paths`).
CHECKED = f"at most {MAX_ITEMS} paths and symbols together"


@router.get(
    "/conflicts",
    tags=["claims"],
    summary="Would these paths conflict? Writes nothing",
    response_model=schemas.ConflictsOut,
)
async def conflicts(
    service: ServiceDep,
    repo_id: str = "default",
    engineer: str | None = None,
    paths: Annotated[list[str] | None, Query(json_schema_extra={"maxItems": MAX_ITEMS}, description=CHECKED)] = None,
    symbols: Annotated[
        list[str] | None, Query(json_schema_extra={"maxItems": MAX_ITEMS}, description=f"path::Symbol; {CHECKED}")
    ] = None,
) -> schemas.ConflictsOut:
    """Would claiming these paths (and symbols) conflict? Answers `safe`, `conflicts` (each holder with its
    claim, pattern and expiry) and a `suggestion`, without claiming anything. At most as many paths and
    symbols together as a claim may carry items."""
    answer = await offload(service.check_conflicts, repo_id, engineer, paths or [], symbols or [])
    return schemas.ConflictsOut.model_validate(answer, from_attributes=True)


@router.post(
    "/sessions/{session_id}/heartbeat",
    tags=["sessions"],
    summary="Mark a session alive",
    response_model=schemas.HeartbeatOut,
)
async def heartbeat(
    session_id: str, service: ServiceDep, body: schemas.HeartbeatIn | None = None
) -> schemas.HeartbeatOut:
    """Mark a session alive now (claims tagged with it then keep counting through COORD_IDLE_TIMEOUT_SEC) and
    return its pending notices. A session already silent past the timeout first has its claims ended
    (`idle_expired`); it then starts afresh."""
    body = body or schemas.HeartbeatIn()
    beat = await write(service, service.heartbeat, session_id, body.engineer, body.repo_id)
    return schemas.HeartbeatOut.model_validate(beat, from_attributes=True)
