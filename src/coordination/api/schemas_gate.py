"""Request and response bodies of the editor gate (`coord-gate`, `POST /gate/...`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coordination.api.schemas import TTL_HELP, ClaimOut, ConflictEntry, Moment, Notices, Strict
from coordination.core import limits as lim
from coordination.core.vocabulary import ClaimType


class GateEditIn(Strict):
    engineer: str = Field(max_length=lim.MAX_ENGINEER_LENGTH, examples=["alex/claude/main"])
    repo_id: str = Field("default", max_length=lim.MAX_REPO_ID_LENGTH)
    session_id: str | None = Field(None, max_length=lim.MAX_SESSION_ID_LENGTH)
    paths: list[str] = Field(
        min_length=1,
        max_length=lim.MAX_GATE_PATHS,
        description=(
            f"repo-relative files the tool will write; at most {lim.MAX_ITEMS} distinct ones, "
            "as many as a claim may carry items"
        ),
    )
    branch: str | None = Field(None, max_length=lim.MAX_BRANCH_LENGTH)
    tool: str | None = Field(None, max_length=lim.MAX_TOOL_NAME_LENGTH)
    ttl_hours: float | None = Field(None, description=f"TTL of the claims the gate takes; {TTL_HELP}")
    mode: Literal["claim", "warn"] = "claim"


class GateConflict(ConflictEntry):
    same_person: bool


class GateEditOut(BaseModel):
    # Read by attribute from the service's `GateAnswer` record.
    model_config = ConfigDict(from_attributes=True)

    decision: Literal["allow", "deny"]
    claimed: list[ClaimOut] = Field(description="claims taken (or refreshed) for this edit")
    held_by_you: list[GateConflict] = Field(description="claims of the same person covering these paths")
    conflicts: list[GateConflict] = Field(description="claims of other people that refuse the edit")
    suggestion: str | None
    warning: bool = Field(description="mode warn: conflicts exist but the edit is allowed")
    pending_requests: Notices


class GateWrittenIn(Strict):
    engineer: str = Field(max_length=lim.MAX_ENGINEER_LENGTH)
    repo_id: str = Field("default", max_length=lim.MAX_REPO_ID_LENGTH)
    session_id: str | None = Field(None, max_length=lim.MAX_SESSION_ID_LENGTH)
    paths: list[str] = Field(min_length=1, max_length=lim.MAX_GATE_PATHS)
    source: Literal["post-tool-use", "pre-push", "check"] = "post-tool-use"


class RecordedWriteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    path: str
    claim_id: int
    engineer: str = Field(description="who holds the claim")
    type: ClaimType
    pattern: str
    symbols: list[str]
    expires_at: Moment
    fence: int
    writer: str
    source: str
    holder: str
    new: bool = Field(description="false when this write to this file was already recorded for this claim")


class GateWrittenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    recorded: list[RecordedWriteOut] = Field(description="one entry per (file, holder claim); new=false when known")


class GateSessionIn(Strict):
    event: Literal["start", "end"]
    session_id: str = Field(max_length=lim.MAX_SESSION_ID_LENGTH)
    engineer: str = Field(max_length=lim.MAX_ENGINEER_LENGTH)
    repo_id: str = Field("default", max_length=lim.MAX_REPO_ID_LENGTH)


class GateSessionStartOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: str
    claims: list[ClaimOut] = Field(description="the claims the session's engineer holds in the repo")
    pending_requests: Notices


class GateSessionEndOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: str
    released: list[int] = Field(description="ids of the claims the end of the session released")
