"""Per-repo ownership rules (owners.yaml), stored verbatim so comments survive."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from coordination.api import schemas
from coordination.api.deps import AuthDep, ServiceDep
from coordination.api.routes.claims import ERRORS
from coordination.api.threads import offload, write
from coordination.core.ownership import Ownership

router = APIRouter(dependencies=[AuthDep], responses=ERRORS, tags=["config"])


def _out(repo_id: str, text: str, rules: Ownership, managed: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "repo_id": repo_id,
        "yaml": text,
        "owners": [{"pattern": r.pattern, "owners": list(r.owners)} for r in rules.owners],
        "shared_files": list(rules.shared_files),
        "managed": managed,
    }


@router.post(
    "/config/ownership",
    summary="Upload a repo's owners.yaml (coord-written entries are kept unless replace_managed)",
    response_model=schemas.OwnershipOut,
)
async def put_ownership(body: schemas.OwnershipIn, service: ServiceDep) -> dict[str, Any]:
    """Upload a repo's owners.yaml. Entries coord wrote itself (`# auto-promoted=`, `# coord-promoted=`) that
    the upload lacks are kept, unless `replace_managed=true`; the answer lists what was kept or dropped.
    Hostile YAML (aliases, deep nesting, too many values) is a 400."""
    stored = await write(service, service.put_ownership, body.repo_id, body.yaml, body.replace_managed)
    return _out(body.repo_id, stored["text"], stored["rules"], stored["managed"])


@router.get(
    "/config/ownership",
    summary="A repo's owners.yaml, comments preserved",
    response_model=schemas.OwnershipOut,
)
async def get_ownership(service: ServiceDep, repo_id: str = "default") -> dict[str, Any]:
    """The repo's stored owners.yaml and the rules read from it (`shared_files`...); empty when nothing was
    uploaded."""

    def read() -> dict[str, Any]:
        text = service.get_ownership(repo_id)
        return _out(repo_id, text, service.ownership_rules(text))

    return await offload(read)
