"""The audit trail: every grant, release, extension, expiry and automatic decision."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from coordination.api import schemas
from coordination.api.deps import AuthDep, ServiceDep
from coordination.api.routes.claims import ERRORS

router = APIRouter(dependencies=[AuthDep], responses=ERRORS, tags=["audit"])


@router.get("/events", summary="Audit events in order", response_model=schemas.EventListOut)
def events(
    service: ServiceDep,
    repo_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> dict[str, Any]:
    return {"events": service.events(repo_id, limit)}
