"""Release requests: ask a holder for scope, answer, follow the outcome."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from coordination.api import schemas
from coordination.api import schemas_requests as rs
from coordination.api.deps import AuthDep, IdPath, ServiceDep
from coordination.api.routes.claims import ERRORS
from coordination.errors import Invalid
from coordination.negotiation import Negotiation, ReleaseAnswer, ReleaseAsk

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
def create_request(body: rs.ReleaseRequestIn, service: ServiceDep) -> dict[str, Any]:
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
    return Negotiation(service).request_release(ask)


@router.get(
    "/requests",
    summary="Release requests by holder or requester; with queued=true, the claim queue's waiting entries",
    response_model=rs.ReleaseRequestListOut | rs.QueueListOut,
)
def list_requests(
    service: ServiceDep,
    repo_id: str | None = None,
    engineer: str | None = None,
    role: rs.Role | None = None,
    state: rs.RequestState | None = None,
    queued: Annotated[
        bool, Query(description="list waiting claim-queue entries (with who they wait on) instead")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    if queued:
        if role is not None or state is not None:
            raise Invalid("queued=true lists waiting queue entries: role and state do not apply")
        return {"queue": service.queue.list(repo_id, engineer, limit)}
    return {"requests": Negotiation(service).list(repo_id, engineer, role, state, limit)}


@router.get(
    "/requests/{request_id}",
    summary="One release request and its outcome",
    response_model=rs.ReleaseRequestOut,
    responses={404: _404},
)
def get_request(request_id: IdPath, service: ServiceDep) -> dict[str, Any]:
    return Negotiation(service).get(request_id)


@router.delete(
    "/requests/{queue_id}",
    summary="Cancel a waiting claim-queue entry (its engineer only); wakes the waiter",
    response_model=rs.QueueEntryOut,
    responses={
        403: {"model": schemas.ErrorOut, "description": "the entry belongs to another engineer"},
        404: {"model": schemas.ErrorOut, "description": "no such queue entry"},
        409: {"model": schemas.ErrorOut, "description": "the entry is no longer waiting"},
    },
)
def cancel_queue_entry(
    queue_id: IdPath,
    service: ServiceDep,
    engineer: Annotated[str, Query(max_length=200, description="the engineer who queued")],
) -> dict[str, Any]:
    return service.queue.cancel(queue_id, engineer)


@router.post(
    "/requests/{request_id}/respond",
    summary="The holder answers: release, narrow, coexist or deny",
    response_model=rs.RespondOut,
    responses={403: _403, 404: _404, 409: _409},
)
def respond(request_id: IdPath, body: rs.RespondIn, service: ServiceDep) -> dict[str, Any]:
    reply = ReleaseAnswer(
        engineer=body.engineer,
        answer=body.answer,
        keep_pattern=body.keep_pattern,
        keep_symbols=tuple(body.keep_symbols) if body.keep_symbols is not None else None,
        note=body.note,
    )
    return Negotiation(service).respond(request_id, reply)


@router.post(
    "/requests/{request_id}/cancel",
    summary="The requester withdraws an open request",
    response_model=rs.ReleaseRequestOut,
    responses={403: _403, 404: _404, 409: _409},
)
def cancel(request_id: IdPath, body: rs.CancelIn, service: ServiceDep) -> dict[str, Any]:
    return Negotiation(service).cancel(request_id, body.engineer)
