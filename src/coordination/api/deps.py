"""Dependencies shared by the routes: the service and bearer-token auth.

Both are `async def`: FastAPI runs a sync dependency in a worker thread, a hop
per dependency per request. Neither blocks: the token check is a comparison, and
session activity reaches the store (in a worker thread) only when it is due.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Path, Request

from coordination.api.threads import offload
from coordination.core.limits import MAX_ID
from coordination.errors import Unauthorized
from coordination.service import Coordinator

SESSION_HEADER = "x-coord-session"


async def get_service(request: Request) -> Coordinator:
    service: Coordinator = request.app.state.service
    return service


ServiceDep = Annotated[Coordinator, Depends(get_service)]


def check_bearer(service: Coordinator, authorization: str | None) -> None:
    """Raise Unauthorized unless `authorization` carries the service's token (constant time)."""
    expected = service.settings.auth_token
    if expected is None:
        return
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise Unauthorized("missing bearer token: send 'Authorization: Bearer <COORD_AUTH_TOKEN>'")
    if not hmac.compare_digest(presented.strip().encode(), expected.get_secret_value().encode()):
        raise Unauthorized("invalid bearer token")


async def require_token(request: Request) -> None:
    """Bearer auth, compared in constant time; a session header counts as activity. The service
    is read from the app here, not through `ServiceDep`: this runs on every authenticated request,
    and each dependency FastAPI solves costs more than the token check itself."""
    service: Coordinator = request.app.state.service
    check_bearer(service, request.headers.get("authorization"))
    await count_activity(service, request.headers.get(SESSION_HEADER))


async def count_activity(service: Coordinator, session_id: str | None) -> None:
    """A request naming a session counts as its activity; the write is sent to a thread
    only when one is due (`Coordinator.activity_due`)."""
    if session_id and service.activity_due(session_id):
        await offload(service.note_activity, session_id)


AuthDep = Depends(require_token)

# Ids are 64-bit in both databases; a larger number names nothing and is a 400.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive id")]
