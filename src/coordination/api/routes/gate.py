"""The editor gate: one call per tool event (`coord-gate`, see docs/integrations/)."""

from __future__ import annotations

from fastapi import APIRouter

from coordination.api import schemas_gate as gs
from coordination.api.deps import AuthDep, ServiceDep
from coordination.api.routes.claims import ERRORS
from coordination.api.threads import write
from coordination.service import EditRequest

router = APIRouter(dependencies=[AuthDep], responses=ERRORS, tags=["gate"])


@router.post(
    "/gate/edit",
    summary="Before a tool writes files: deny, or claim them for the session",
    response_model=gs.GateEditOut,
)
async def gate_edit(body: gs.GateEditIn, service: ServiceDep) -> gs.GateEditOut:
    """`deny` when another person holds one of the paths (nothing is claimed then);
    otherwise the free paths are claimed (or refreshed) for `session_id`."""
    answer = await write(
        service,
        service.gate.pre_edit,
        EditRequest(
            engineer=body.engineer,
            repo_id=body.repo_id,
            paths=body.paths,
            session_id=body.session_id,
            branch=body.branch,
            tool=body.tool,
            ttl_hours=body.ttl_hours,
            mode=body.mode,
        ),
    )
    return gs.GateEditOut.model_validate(answer, from_attributes=True)


@router.post(
    "/gate/written",
    summary="After a write got past the gate: record writes to files others hold",
    response_model=gs.GateWrittenOut,
)
async def gate_written(body: gs.GateWrittenIn, service: ServiceDep) -> gs.GateWrittenOut:
    """Backstop of the edit gate: record files written by `engineer` that another engineer holds (an
    `unclaimed-write` audit event, a notice to both, a webhook), once per claim, writer and file."""
    report = await write(
        service, service.gate.written, body.engineer, body.repo_id, body.paths, body.source, body.session_id
    )
    return gs.GateWrittenOut.model_validate(report, from_attributes=True)


@router.post(
    "/gate/session",
    summary="An agent session started (what it holds) or ended (release its claims)",
    response_model=gs.GateSessionStartOut | gs.GateSessionEndOut,
)
async def gate_session(body: gs.GateSessionIn, service: ServiceDep) -> gs.GateSessionStartOut | gs.GateSessionEndOut:
    """The edit gate's session events: `start` announces the session and lists what it holds; `end` releases
    every claim the session took (its subagents' too) so waiters get them."""
    if body.event == "start":
        started = await write(service, service.gate.session_start, body.session_id, body.engineer, body.repo_id)
        return gs.GateSessionStartOut.model_validate(started, from_attributes=True)
    ended = await write(service, service.gate.session_end, body.session_id, body.engineer, body.repo_id)
    return gs.GateSessionEndOut.model_validate(ended, from_attributes=True)
