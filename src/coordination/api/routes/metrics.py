"""Metrics for dashboards and external monitoring."""

from __future__ import annotations

from typing import Annotated

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
) -> rs.AutoResolutionsOut:
    """Per repo and UTC day, how many claims AUTO_COEXIST and AUTO_NARROW let through without a conflict (the
    dashboard's heatmap)."""
    return rs.AutoResolutionsOut.model_validate(
        await offload(service.auto_resolutions, days, repo_id), from_attributes=True
    )


@router.get(
    "/metrics/hotspots",
    summary="Patterns agents keep being refused on, with a suggested action",
    response_model=rs.HotspotsOut,
)
async def hotspots(
    service: ServiceDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="window, today included")] = 30,
    repo_id: str | None = None,
) -> rs.HotspotsOut:
    """Per repo, the patterns agents were refused on most in the window, with the suggested action:
    `shared_file`, `split` or `monitor`."""
    return rs.HotspotsOut.model_validate(await offload(service.hotspots, days, repo_id), from_attributes=True)


@router.post(
    "/metrics/hotspots/promote",
    summary="Write a hotspot's rule into owners.yaml (idempotent)",
    response_model=rs.PromoteOut,
)
async def promote(body: rs.PromoteIn, service: ServiceDep) -> rs.PromoteOut:
    """Write a hotspot's rule into owners.yaml (idempotent): `shared_file` adds it to shared_files (bounded:
    never `**`, the repo root, or more than a claim may cover), `split` records the advice."""
    promoted = await write(service, service.promote_hotspot, body.repo_id, body.action, body.pattern)
    return rs.PromoteOut.model_validate(promoted, from_attributes=True)


@router.get(
    "/metrics/webhooks",
    summary="Webhook deliveries of the last hours per event type: delivered, pending, exhausted",
    response_model=rs.WebhookDeliveryOut,
)
async def webhook_deliveries(
    service: ServiceDep,
    hours: Annotated[int, Query(ge=1, le=MAX_WEBHOOK_HOURS, description="window in hours, up to now")] = 24,
) -> rs.WebhookDeliveryOut:
    """Webhook outbox counts per event type over the last hours: delivered, pending, exhausted (and whether
    webhooks are on)."""
    return rs.WebhookDeliveryOut.model_validate(await offload(service.webhook_deliveries, hours), from_attributes=True)
