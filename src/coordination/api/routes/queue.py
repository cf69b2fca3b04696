"""The claim queue as its own resource: who waits for what, in which place, and cancelling a wait."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from coordination.api import pagination, schemas
from coordination.api import schemas_requests as rs
from coordination.api.deps import AuthDep, IdPath, ServiceDep
from coordination.api.routes.claims import ERRORS
from coordination.api.threads import offload, write
from coordination.core.limits import MAX_CURSOR_LENGTH, MAX_ENGINEER_LENGTH, QUEUE_PAGE
from coordination.core.vocabulary import QueueState

router = APIRouter(dependencies=[AuthDep], responses=ERRORS, tags=["queue"])

CANCEL_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": schemas.ErrorOut, "description": "the entry belongs to another engineer"},
    404: {"model": schemas.ErrorOut, "description": "no such queue entry"},
    409: {"model": schemas.ErrorOut, "description": "the entry is no longer waiting"},
}


@router.get("/queue", summary="Claim-queue entries with who they wait on", response_model=rs.QueueListOut)
async def list_queue(
    request: Request,
    response: Response,
    service: ServiceDep,
    repo_id: str | None = None,
    engineer: str | None = None,
    state: Annotated[
        QueueState, Query(description="waiting (default), granted, cancelled, expired or abandoned")
    ] = QueueState.WAITING,
    limit: Annotated[int, Query(ge=1, le=QUEUE_PAGE.maximum, description="entries per page")] = QUEUE_PAGE.default,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="the next_cursor of the previous page")
    ] = None,
) -> rs.QueueListOut:
    """Entries in arrival order, each with the claims it waits on (`blocking`); a waiting entry's
    `place` is its position in its repo's queue order (1 = granted first when the scope frees).
    A full page carries `next_cursor` and a `Link: <...>; rel="next"` header."""
    rows = await offload(service.queue.list, repo_id, engineer, limit + 1, pagination.decode(cursor), state)
    entries, next_cursor = pagination.page(request, response, rows, limit)
    return rs.QueueListOut.model_validate({"queue": entries, "next_cursor": next_cursor}, from_attributes=True)


@router.get(
    "/queue/{queue_id}",
    summary="One claim-queue entry and its outcome",
    response_model=rs.QueueEntryOut,
    responses={404: CANCEL_ERRORS[404]},
)
async def get_queue_entry(queue_id: IdPath, service: ServiceDep) -> rs.QueueEntryOut:
    """The entry in any state: waiting (with its place), granted (with the claims it got),
    cancelled, expired or abandoned (its waiter went away)."""
    return rs.QueueEntryOut.model_validate(await offload(service.queue.get, queue_id), from_attributes=True)


@router.delete(
    "/queue/{queue_id}",
    summary="Cancel a waiting claim-queue entry (its engineer only); wakes the waiter",
    response_model=rs.QueueEntryOut,
    responses=CANCEL_ERRORS,
)
async def cancel_queue_entry(
    queue_id: IdPath,
    service: ServiceDep,
    engineer: Annotated[str, Query(max_length=MAX_ENGINEER_LENGTH, description="the engineer who queued")],
) -> rs.QueueEntryOut:
    """Only the engineer who queued cancels; the waiting call then answers 409 (cancelled)."""
    return rs.QueueEntryOut.model_validate(
        await write(service, service.queue.cancel, queue_id, engineer), from_attributes=True
    )
