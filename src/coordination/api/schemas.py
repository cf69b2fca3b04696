"""Request and response bodies of the HTTP API (separate from the engine's types)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from coordination.core.validation import control_problem

MAX_ID = 2**63 - 1
ClaimTypeName = Literal["file", "module", "shared_file"]
UrgencyName = Literal["low", "normal", "high", "blocking"]


def _plain(value: str) -> str:
    problem = control_problem("", value)
    if problem:
        raise PydanticCustomError("control_character", problem)
    return value


def _text(value: str) -> str:
    problem = control_problem("", value, multiline=True)
    if problem:
        raise PydanticCustomError("control_character", problem)
    return value


# One line of text (names, ids, patterns, symbols) / free text that may keep newlines and tabs:
# both refuse control and bidirectional-override characters (core.validation.control_problem).
Plain = Annotated[str, AfterValidator(_plain)]
Text = Annotated[str, AfterValidator(_text)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    error: str = Field(description="machine-readable code: invalid, unauthorized, forbidden, not_found, conflict")
    detail: str = Field(description="what was wrong, for a human")
    model_config = ConfigDict(extra="allow")


class ClaimItemIn(Strict):
    type: ClaimTypeName = "file"
    pattern: Plain = Field(max_length=4096, description="repo-relative path or glob")
    symbols: list[Plain] | None = Field(None, max_length=500, description="canonical symbol paths in that file")
    literal: bool = Field(
        False,
        description=(
            "take `pattern` as a path, glob characters included (Next.js `pages/[id].tsx`); "
            "stored escaped (`pages/\\[id\\].tsx`)"
        ),
    )


class CreateClaimsIn(Strict):
    engineer: Plain = Field(max_length=200, examples=["alex/claude/main"])
    repo_id: Plain = Field("default", max_length=200)
    session_id: Plain | None = Field(None, max_length=64)
    branch: Plain | None = Field(None, max_length=500)
    description: Text | None = Field(None, max_length=4000)
    claims: list[ClaimItemIn] = Field(min_length=1, max_length=500)
    ttl_hours: float | None = Field(None, description="defaults to COORD_DEFAULT_TTL_HOURS")
    wait_seconds: float = Field(
        0,
        ge=0,
        le=900,
        description=(
            "if the request conflicts, wait in the claim queue up to this many seconds (max 900) "
            "instead of answering 409 at once; the call long-polls until granted or the wait ends"
        ),
    )
    urgency: UrgencyName = Field(
        "normal", description="queue priority: blocking > high > normal > low (only matters with wait_seconds)"
    )


class CarveOut(BaseModel):
    path: str
    symbol: str
    by: int


class ClaimOut(BaseModel):
    id: int
    repo_id: str
    engineer: str
    session_id: str | None
    branch: str | None
    description: str | None
    type: ClaimTypeName
    pattern: str
    symbols: list[str]
    narrowable: bool
    carved: list[CarveOut]
    coexists_with: list[int]
    state: Literal["active", "released", "expired", "idle_expired"]
    created_at: str
    expires_at: str
    ended_at: str | None
    fence: int = Field(description="per-repo monotonically increasing fencing token of the grant")


class DecisionOut(BaseModel):
    pattern: str
    type: ClaimTypeName
    outcome: Literal["GRANT", "AUTO_COEXIST", "AUTO_NARROW"]
    claim_id: int
    refreshed: bool
    coexists_with: list[int]
    narrowed: list[int]
    note: str | None = Field(None, description="why the claim was stored differently from the request")


class QueueGrantOut(BaseModel):
    id: int = Field(description="the queue entry")
    state: Literal["granted"] = "granted"
    waited_sec: float = Field(description="seconds between joining the queue and the grant")


class CreateClaimsOut(BaseModel):
    claims: list[ClaimOut]
    decisions: list[DecisionOut]
    pending_requests: list[dict[str, Any]]
    queue: QueueGrantOut | None = Field(None, description="set when the claims were granted from the queue")


class ClaimBrief(BaseModel):
    """Who holds what, until when (records.claim_brief)."""

    claim_id: int
    engineer: str
    type: ClaimTypeName
    pattern: str
    symbols: list[str]
    expires_at: str
    fence: int


class ConflictEntry(ClaimBrief):
    requested_pattern: str


class QueueEndOut(BaseModel):
    id: int
    state: Literal["expired", "cancelled", "abandoned"]


class ConflictOut(ErrorOut):
    conflicts: list[ConflictEntry]
    suggestion: str
    queue: QueueEndOut | None = Field(
        None, description="with wait_seconds: the queue entry, expired (the wait ended) or cancelled"
    )


class ClaimListOut(BaseModel):
    claims: list[ClaimOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last page")


class ReleaseIn(Strict):
    repo_id: Plain = Field("default", max_length=200)
    engineer: Plain = Field(max_length=200, description="the engineer releasing: only its own claims unless force")
    session_id: Plain | None = Field(None, max_length=64)
    pattern: Plain | None = Field(None, max_length=4096, description="claims on exactly this pattern")
    claim_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(None, max_length=1000)
    force: bool = Field(
        False, description="match every engineer's claims (needs session_id, pattern or claim_ids); audited"
    )


class ReleaseOut(BaseModel):
    released: list[int]


class ExtendIn(Strict):
    engineer: Plain = Field(max_length=200, description="the engineer extending (the holder's exact id)")
    ttl_hours: float | None = None
    force: bool = Field(False, description="extend another engineer's claim (recorded with you as actor)")
    if_fence: int | None = Field(None, ge=0, le=MAX_ID, description="only if the claim's fence is still this")


class ExtendOut(ClaimOut):
    pending_requests: list[dict[str, Any]]


class HeartbeatIn(Strict):
    engineer: Plain | None = Field(None, max_length=200)
    repo_id: Plain | None = Field(None, max_length=200)


class HeartbeatOut(BaseModel):
    session_id: str
    last_seen: str
    active_claims: int
    pending_requests: list[dict[str, Any]]


class ConflictsOut(BaseModel):
    safe: bool
    safe_to_proceed: bool
    has_conflicts: bool
    conflicts: list[ConflictEntry]
    suggestion: str | None


class VerifyIn(Strict):
    repo_id: Plain = Field("default", max_length=200)
    engineer: Plain = Field(max_length=200)
    # Not Plain: a path that cannot be checked is answered in `unchecked`, never a 400 for all.
    paths: list[str] = Field(max_length=10_000)


class VerifyEntry(ClaimBrief):
    path: str
    same_person: bool = Field(
        False, description="the server's answer: this holder counts as the caller's own person (COORD_SAME_PERSON)"
    )


class UncheckedPath(BaseModel):
    path: str
    reason: str


class VerifyOut(BaseModel):
    ours: list[VerifyEntry]
    theirs: list[VerifyEntry]
    unchecked: list[UncheckedPath] = Field(
        default_factory=list,
        description="paths that cannot name a repo file (with the reason); the others were checked",
    )


class OwnershipIn(Strict):
    repo_id: Plain = Field("default", max_length=200)
    yaml: str = Field(max_length=262_144, description="the owners.yaml text; comments are kept")
    replace_managed: bool = Field(
        False,
        description=(
            "false (default): entries coord wrote into the stored copy (`# auto-promoted=DATE`, "
            "`# coord-promoted=DATE`) that the upload does not list are kept, appended with their "
            "markers; true: the upload replaces them too"
        ),
    )


class ManagedEntry(BaseModel):
    key: str = Field(description="shared_files or split_candidates")
    pattern: str
    mark: str = Field(description="the entry's end-of-line comment, with coord's marker")


class ManagedOut(BaseModel):
    kept: list[ManagedEntry] = Field(description="coord-written entries the upload lacked, kept in the stored copy")
    dropped: list[ManagedEntry] = Field(description="coord-written entries removed (replace_managed=true)")


class OwnershipOut(BaseModel):
    repo_id: str
    yaml: str = Field(description="the stored owners.yaml (after an upload: with what was kept)")
    owners: list[dict[str, Any]]
    shared_files: list[str]
    managed: ManagedOut | None = Field(None, description="on upload: coord-written entries kept or dropped")


class EventOut(BaseModel):
    id: int
    repo_id: str
    event_type: str
    engineer: str | None
    claim_id: int | None
    pattern: str | None
    detail: dict[str, Any]
    created_at: str


class EventListOut(BaseModel):
    events: list[EventOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last page")


# -- the editor gate (coord-gate) ----------------------------------------------


class GateEditIn(Strict):
    engineer: str = Field(max_length=200, examples=["alex/claude/main"])
    repo_id: str = Field("default", max_length=200)
    session_id: str | None = Field(None, max_length=64)
    paths: list[str] = Field(min_length=1, max_length=200, description="repo-relative files the tool will write")
    branch: str | None = Field(None, max_length=500)
    tool: str | None = Field(None, max_length=40)
    ttl_hours: float | None = Field(None, description="TTL of the claims the gate takes")
    mode: Literal["claim", "warn"] = "claim"


class GateConflict(ConflictEntry):
    same_person: bool


class GateEditOut(BaseModel):
    decision: Literal["allow", "deny"]
    claimed: list[dict[str, Any]] = Field(description="claims taken (or refreshed) for this edit")
    held_by_you: list[GateConflict] = Field(description="claims of the same person covering these paths")
    conflicts: list[GateConflict] = Field(description="claims of other people that refuse the edit")
    suggestion: str | None
    warning: bool = Field(description="mode warn: conflicts exist but the edit is allowed")
    pending_requests: list[dict[str, Any]]


class GateWrittenIn(Strict):
    engineer: str = Field(max_length=200)
    repo_id: str = Field("default", max_length=200)
    session_id: str | None = Field(None, max_length=64)
    paths: list[str] = Field(min_length=1, max_length=200)
    source: Literal["post-tool-use", "pre-push", "check"] = "post-tool-use"


class GateWrittenOut(BaseModel):
    recorded: list[dict[str, Any]] = Field(description="one entry per (file, holder claim); new=false when known")


class GateSessionIn(Strict):
    event: Literal["start", "end"]
    session_id: str = Field(max_length=64)
    engineer: str = Field(max_length=200)
    repo_id: str = Field("default", max_length=200)
