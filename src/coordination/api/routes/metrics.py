"""Metrics for dashboards and external monitoring."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from coordination.api import schemas_requests as rs
from coordination.api.deps import AuthDep, ServiceDep
from coordination.api.routes.claims import ERRORS
from coordination.api.threads import offload, write
from coordination.core.limits import MAX_DAYS, MAX_WEBHOOK_HOURS

router = APIRouter(dependencies=[AuthDep], responses=ERRORS, tags=["metrics"])


@router.get(
    "/metrics/auto-resolutions",
    summary="Per-day AUTO_COEXIST / AUTO_NARROW counts per repo",
    response_model=rs.AutoResolutionsOut,
)
async def auto_resolutions(
    service: ServiceDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="window, today included")] = 30,
    repo_id: str | None = None,
) -> dict[str, Any]:
    """Per repo and UTC day, how many claims AUTO_COEXIST and AUTO_NARROW let through without a conflict (the
    dashboard's heatmap)."""
    return await offload(service.auto_resolutions, days, repo_id)


@router.get(
    "/metrics/hotspots",
    summary="Patterns agents keep being refused on, with a suggested action",
    response_model=rs.HotspotsOut,
)
async def hotspots(
    service: ServiceDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="window, today included")] = 30,
    repo_id: str | None = None,
) -> dict[str, Any]:
    """Per repo, the patterns agents were refused on most in the window, with the suggested action:
    `shared_file`, `split` or `monitor`."""
    return await offload(service.hotspots, days, repo_id)


@router.post(
    "/metrics/hotspots/promote",
    summary="Write a hotspot's rule into owners.yaml (idempotent)",
    response_model=rs.PromoteOut,
)
async def promote(body: rs.PromoteIn, service: ServiceDep) -> dict[str, Any]:
    """Write a hotspot's rule into owners.yaml (idempotent): `shared_file` adds it to shared_files (bounded:
    never `**`, the repo root, or more than a claim may cover), `split` records the advice."""
    return await write(service, service.promote_hotspot, body.repo_id, body.action, body.pattern)


@router.get(
    "/metrics/webhooks",
    summary="Webhook deliveries of the last hours per event type: delivered, pending, exhausted",
    response_model=rs.WebhookDeliveryOut,
)
async def webhook_deliveries(
    service: ServiceDep,
    hours: Annotated[int, Query(ge=1, le=MAX_WEBHOOK_HOURS, description="window in hours, up to now")] = 24,
) -> dict[str, Any]:
    """Webhook outbox counts per event type over the last hours: delivered, pending, exhausted (and whether
    webhooks are on)."""
    return await offload(service.webhook_deliveries, hours)
