"""Release requests: ask a holder for scope, answer, follow the outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from coordination.api import pagination, schemas
from coordination.api import schemas_requests as rs
from coordination.api.deps import AuthDep, IdPath, ServiceDep
from coordination.api.routes import queue
from coordination.api.routes.claims import ERRORS
from coordination.api.threads import offload, write
from coordination.core.limits import MAX_CURSOR_LENGTH, MAX_ENGINEER_LENGTH, REQUESTS_PAGE
from coordination.core.vocabulary import RequestState, Role
from coordination.errors import Invalid
from coordination.service import ReleaseAnswer, ReleaseAsk

router = APIRouter(dependencies=[AuthDep], responses=ERRORS, tags=["requests"])

_403 = {"model": schemas.ErrorOut, "description": "only the holder answers, only the requester cancels"}
_404 = {"model": schemas.ErrorOut, "description": "no such request (or claim)"}
_409 = {"model": schemas.ErrorOut, "description": "already answered, cancelled, or the claim ended"}


@router.post(
    "/requests",
    summary="Ask the holder of a blocking claim to release it",
    response_model=rs.ReleaseRequestOut,
    responses={
        404: _404,
        409: {
            "model": schemas.ErrorOut,
            "description": "the claim is no longer active, or you already have an open request on it",
        },
    },
)
async def create_request(body: rs.ReleaseRequestIn, service: ServiceDep) -> rs.ReleaseRequestOut:
    """Ask the holder of a blocking claim to release it (with a reason and urgency). The holder's remaining
    TTL is clamped to COORD_REQUEST_TTL_SHORT_SEC and it gets a notice; answer with `POST
    /requests/{id}/respond`."""
    ask = ReleaseAsk(
        repo_id=body.repo_id,
        requester=body.requester,
        claim_id=body.claim_id,
        reason=body.reason,
        urgency=body.urgency,
        pattern=body.pattern,
        symbols=tuple(body.symbols or ()),
        session_id=body.session_id,
        ttl_hours=body.ttl_hours,
    )
    return rs.ReleaseRequestOut.model_validate(
        await write(service, service.requests.request_release, ask), from_attributes=True
    )


@router.get(
    "/requests",
    summary="Release requests by holder or requester; with queued=true, the claim queue's waiting entries",
    response_model=rs.ReleaseRequestListOut | rs.QueueListOut,
)
async def list_requests(
    request: Request,
    response: Response,
    service: ServiceDep,
    repo_id: str | None = None,
    engineer: str | None = None,
    role: Role | None = None,
    state: RequestState | None = None,
    queued: Annotated[
        bool, Query(description="deprecated: the waiting claim-queue entries, as `GET /queue` lists them")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=REQUESTS_PAGE.maximum, description="items per page")] = REQUESTS_PAGE.default,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="the next_cursor of the previous page")
    ] = None,
) -> rs.QueueListOut | rs.ReleaseRequestListOut:
    """Release requests, newest first, filtered by repo, engineer (as `role`: holder or requester)
    and state. A full page carries `next_cursor` and a `Link: <...>; rel="next"` header.
    `queued=true` is the older spelling of `GET /queue` (waiting entries only)."""
    if queued:
        if role is not None or state is not None:
            raise Invalid("queued=true lists waiting queue entries: role and state do not apply")
        rows = await offload(service.queue.list, repo_id, engineer, limit + 1, pagination.decode(cursor))
        entries, next_cursor = pagination.page(request, response, rows, limit)
        return rs.QueueListOut.model_validate({"queue": entries, "next_cursor": next_cursor}, from_attributes=True)
    before = pagination.decode(cursor)
    asked = await offload(service.requests.list, repo_id, engineer, role, state, limit + 1, before)
    items, next_cursor = pagination.page(request, response, asked, limit)
    page = {"requests": items, "next_cursor": next_cursor}
    return rs.ReleaseRequestListOut.model_validate(page, from_attributes=True)


@router.get(
    "/requests/{request_id}",
    summary="One release request and its outcome",
    response_model=rs.ReleaseRequestOut,
    responses={404: _404},
)
async def get_request(request_id: IdPath, service: ServiceDep) -> rs.ReleaseRequestOut:
    """One release request and its outcome (open, answered with release/narrow/coexist/deny, or cancelled)."""
    return rs.ReleaseRequestOut.model_validate(await offload(service.requests.get, request_id), from_attributes=True)


@router.delete(
    "/requests/{queue_id}",
    summary="Deprecated: cancel a waiting claim-queue entry (use DELETE /queue/{queue_id})",
    response_model=rs.QueueEntryOut,
    deprecated=True,
    responses=queue.CANCEL_ERRORS,
)
async def cancel_queue_entry_legacy(
    queue_id: IdPath,
    service: ServiceDep,
    engineer: Annotated[str, Query(max_length=MAX_ENGINEER_LENGTH, description="the engineer who queued")],
) -> rs.QueueEntryOut:
    """The older path of `DELETE /queue/{queue_id}`, kept so existing clients keep working; it
    shares the `/requests/{id}` space with release requests, which is why the queue moved."""
    return rs.QueueEntryOut.model_validate(
        await write(service, service.queue.cancel, queue_id, engineer), from_attributes=True
    )


@router.post(
    "/requests/{request_id}/respond",
    summary="The holder answers: release, narrow, coexist or deny",
    response_model=rs.RespondOut,
    responses={403: _403, 404: _404, 409: _409},
)
async def respond(request_id: IdPath, body: rs.RespondIn, service: ServiceDep) -> rs.RespondOut:
    """The holder answers a release request: `release` (the claim ends), `narrow` (keep `keep_pattern` or
    `keep_symbols`), `coexist` (both hold the scope) or `deny` (the TTL clamp is lifted). Only the holder
    answers (403)."""
    reply = ReleaseAnswer(
        engineer=body.engineer,
        answer=body.answer,
        keep_pattern=body.keep_pattern,
        keep_symbols=tuple(body.keep_symbols) if body.keep_symbols is not None else None,
        note=body.note,
    )
    return rs.RespondOut.model_validate(
        await write(service, service.requests.respond, request_id, reply), from_attributes=True
    )


@router.post(
    "/requests/{request_id}/cancel",
    summary="The requester withdraws an open request",
    response_model=rs.ReleaseRequestOut,
    responses={403: _403, 404: _404, 409: _409},
)
async def cancel(request_id: IdPath, body: rs.CancelIn, service: ServiceDep) -> rs.ReleaseRequestOut:
    """The requester withdraws an open request; the holder's TTL clamp is lifted. Only the requester cancels
    (403)."""
    return rs.ReleaseRequestOut.model_validate(
        await write(service, service.requests.cancel, request_id, body.engineer), from_attributes=True
    )
