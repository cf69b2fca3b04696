"""The audit trail: every grant, release, extension, expiry and automatic decision.

`GET /events/stream` pushes the same rows as they are written, as server-sent events.
It reads the store (not this process's memory), so a dashboard connected to one
replica sees what every replica wrote; `Last-Event-ID` or `after` resumes a stream.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Query, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from coordination.api import pagination, schemas
from coordination.api.deps import AuthDep, ServiceDep
from coordination.api.routes.claims import ERRORS
from coordination.api.threads import offload
from coordination.core.limits import EVENTS_PAGE, MAX_CURSOR_LENGTH, MAX_ID
from coordination.service import Coordinator

log = logging.getLogger("coordination.api.events")

router = APIRouter(dependencies=[AuthDep], responses=ERRORS, tags=["audit"])

# How often a stream looks for new rows. Rows written by this replica or another
# reach the page within about this much time.
STREAM_POLL_SEC = 0.25
STREAM_BATCH = 500
# A comment line this often keeps proxies from closing an idle stream.
STREAM_PING_SEC = 15
# What an EventSource-style client waits before it reconnects.
STREAM_RETRY_MS = 2000


@router.get("/events", summary="Audit events in order", response_model=schemas.EventListOut)
async def events(
    request: Request,
    response: Response,
    service: ServiceDep,
    repo_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=EVENTS_PAGE.maximum, description="events per page")] = EVENTS_PAGE.default,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="only events with a larger id")] = None,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="the next_cursor of the previous page")
    ] = None,
) -> schemas.EventListOut:
    """Audit rows, oldest first. A full page carries `next_cursor` and a `Link: <...>; rel="next"`
    header; `after=<event id>` starts after a known event."""
    start = pagination.decode(cursor)
    if start is None:
        start = after
    elif after is not None:
        start = max(start, after)
    rows = await offload(service.events, repo_id, limit + 1, start)
    items, next_cursor = pagination.page(request, response, rows, limit)
    return schemas.EventListOut.model_validate({"events": items, "next_cursor": next_cursor}, from_attributes=True)


@router.get(
    "/events/stream",
    summary="Live audit events as server-sent events",
    description=(
        "A `text/event-stream` of audit rows as they are written, one `message` per row: `id` is the "
        "event id, `data` the row as `GET /events` shows it. Without `after` or `Last-Event-ID` the "
        "stream starts after the newest row; with either it resumes after that id."
    ),
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "the event stream"}},
)
async def event_stream(
    request: Request,
    service: ServiceDep,
    repo_id: str | None = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="resume after this event id")] = None,
    last_event_id: Annotated[str | None, Header(description="resume after this event id")] = None,
) -> EventSourceResponse:
    start = after if after is not None else _event_id(last_event_id)
    if start is None:
        start = await anyio.to_thread.run_sync(service.last_event_id)
    return EventSourceResponse(_rows(request, service, repo_id, start), ping=STREAM_PING_SEC)


def _event_id(header: str | None) -> int | None:
    if header is None or not header.strip().isdigit():
        return None
    return min(int(header.strip()), MAX_ID)


async def _rows(request: Request, service: Coordinator, repo_id: str | None, last: int) -> AsyncIterator[Any]:
    yield ServerSentEvent(comment="coord audit stream", retry=STREAM_RETRY_MS)
    while not await request.is_disconnected():
        try:
            rows = await anyio.to_thread.run_sync(service.events, repo_id, STREAM_BATCH, last)
        except Exception as exc:  # the store is gone or locked: say so and end; the client resumes
            log.warning("event stream stopped: %s", type(exc).__name__)
            reason = {"error": "unavailable", "detail": f"the audit trail could not be read: {type(exc).__name__}"}
            yield ServerSentEvent(event="unavailable", data=json.dumps(reason))
            return
        for row in rows:
            last = row.id
            yield ServerSentEvent(id=str(row.id), data=json.dumps(row.as_json(), separators=(",", ":")))
        if len(rows) < STREAM_BATCH:
            await anyio.sleep(STREAM_POLL_SEC)
