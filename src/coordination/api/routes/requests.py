"""Release requests: ask a holder for scope, answer, follow the outcome."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from coordination.api import schemas
from coordination.api import schemas_requests as rs
from coordination.api.deps import AuthDep, IdPath, ServiceDep
from coordination.api.routes.claims import ERRORS
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


@router.get("/requests", summary="Release requests, by holder or requester", response_model=rs.ReleaseRequestListOut)
def list_requests(
    service: ServiceDep,
    repo_id: str | None = None,
    engineer: str | None = None,
    role: rs.Role | None = None,
    state: rs.RequestState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    return {"requests": Negotiation(service).list(repo_id, engineer, role, state, limit)}


@router.get(
    "/requests/{request_id}",
    summary="One release request and its outcome",
    response_model=rs.ReleaseRequestOut,
    responses={404: _404},
)
def get_request(request_id: IdPath, service: ServiceDep) -> dict[str, Any]:
    return Negotiation(service).get(request_id)


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
