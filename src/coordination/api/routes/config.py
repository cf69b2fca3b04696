"""Per-repo ownership rules (owners.yaml), stored verbatim so comments survive."""

from __future__ import annotations

from fastapi import APIRouter

from coordination.api import schemas
from coordination.api.deps import AuthDep, ServiceDep
from coordination.api.routes.claims import ERRORS
from coordination.api.threads import offload, write

router = APIRouter(dependencies=[AuthDep], responses=ERRORS, tags=["config"])


@router.post(
    "/config/ownership",
    summary="Upload a repo's owners.yaml (coord-written entries are kept unless replace_managed)",
    response_model=schemas.OwnershipOut,
)
async def put_ownership(body: schemas.OwnershipIn, service: ServiceDep) -> schemas.OwnershipOut:
    """Upload a repo's owners.yaml. Entries coord wrote itself (`# auto-promoted=`, `# coord-promoted=`) that
    the upload lacks are kept, unless `replace_managed=true`; the answer lists what was kept or dropped.
    Hostile YAML (aliases, deep nesting, too many values) is a 400."""
    stored = await write(service, service.put_ownership, body.repo_id, body.yaml, body.replace_managed)
    return schemas.OwnershipOut.model_validate(stored, from_attributes=True)


@router.get(
    "/config/ownership",
    summary="A repo's owners.yaml, comments preserved",
    response_model=schemas.OwnershipOut,
)
async def get_ownership(service: ServiceDep, repo_id: str = "default") -> schemas.OwnershipOut:
    """The repo's stored owners.yaml and the rules read from it (`shared_files`...); empty when nothing was
    uploaded."""
    return schemas.OwnershipOut.model_validate(await offload(service.ownership, repo_id), from_attributes=True)
