"""Liveness and readiness: the only routes without a token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from coordination import __version__
from coordination.api.deps import ServiceDep
from coordination.api.threads import offload

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers. No auth, no database; use `/readyz` to know whether it can serve."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database is reachable and its schema is current",
    responses={503: {"description": "not ready, with the reason"}},
)
async def readyz(service: ServiceDep, request: Request) -> JSONResponse:
    """Readiness: 200 once the database answers, the schema is at the head and the claim books are loaded; 503
    with the reason (and which check failed) otherwise. No auth."""
    ok, detail = await offload(service.ready)
    instance = request.app.state.instance
    if ok:
        return JSONResponse(
            {
                "status": "ready",
                "schema": detail,
                "version": __version__,
                "database": service.store.dialect,
                "instance": instance,
            }
        )
    return JSONResponse(
        {"status": "not_ready", "error": "not_ready", "detail": detail, "instance": instance}, status_code=503
    )
