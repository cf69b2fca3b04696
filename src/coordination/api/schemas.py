"""Request and response bodies of the HTTP API (separate from the engine's types)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from coordination.core import limits as lim
from coordination.core.control_chars import control_problem
from coordination.core.limits import MAX_ID
from coordination.core.vocabulary import ClaimState, ClaimType, QueueState, Urgency

# What the service checks beyond the length (core.globs), said once for every pattern field.
PATTERN_HELP = (
    f"at most {lim.MAX_PATTERN_LENGTH} characters; per brace alternative at most {lim.MAX_WILDCARDS} wildcards "
    f"and {lim.MAX_GLOBSTARS} '**' segments; braces expand to at most {lim.MAX_ALTERNATIVES} alternatives, "
    f"{lim.MAX_EXPANDED_LENGTH} characters and {lim.MAX_EXPANDED_WILDCARDS} wildcards in all"
)
TTL_HELP = f"greater than 0 and at most COORD_MAX_TTL_HOURS (default {lim.DEFAULT_MAX_TTL_HOURS:g})"
WAIT_HELP = (
    f"if the request conflicts, wait in the claim queue up to this many seconds (max {lim.MAX_WAIT_SECONDS}) "
    "instead of answering 409 at once; the call long-polls until granted or the wait ends, "
    "or for at most COORD_MAX_CALL_WAIT_SEC: then 202 with a ticket to resume"
)


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


def _iso(value: object) -> object:
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


# A moment as the API shows it: ISO 8601 in UTC with a `Z`. The service's records hold
# aware datetimes; the response models read them as this text, so the schema stays a string.
Moment = Annotated[str, BeforeValidator(_iso)]


# One line of text (names, ids, patterns, symbols) / free text that may keep newlines and tabs:
# both refuse control and bidirectional-override characters (core.control_chars.control_problem).
Plain = Annotated[str, AfterValidator(_plain)]
Text = Annotated[str, AfterValidator(_text)]
# One canonical symbol path (`Router::handleAuth`).
Symbol = Annotated[Plain, Field(max_length=lim.MAX_SYMBOL_LENGTH)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    error: str = Field(
        description="machine-readable code: invalid, unauthorized, forbidden, not_found, conflict, deadlock"
    )
    detail: str = Field(description="what was wrong, for a human")
    model_config = ConfigDict(extra="allow")


class ClaimItemIn(Strict):
    type: ClaimType = ClaimType.FILE
    pattern: Plain = Field(max_length=lim.MAX_PATTERN_LENGTH, description=f"repo-relative path or glob; {PATTERN_HELP}")
    symbols: list[Symbol] | None = Field(
        None, max_length=lim.MAX_SYMBOLS_PER_CLAIM, description="canonical symbol paths in that file"
    )
    literal: bool = Field(
        False,
        description=(
            "take `pattern` as a path, glob characters included (Next.js `pages/[id].tsx`); "
            "stored escaped (`pages/\\[id\\].tsx`)"
        ),
    )


class CreateClaimsIn(Strict):
    engineer: Plain = Field(max_length=lim.MAX_ENGINEER_LENGTH, examples=["alex/claude/main"])
    repo_id: Plain = Field("default", max_length=lim.MAX_REPO_ID_LENGTH)
    session_id: Plain | None = Field(None, max_length=lim.MAX_SESSION_ID_LENGTH)
    branch: Plain | None = Field(None, max_length=lim.MAX_BRANCH_LENGTH)
    description: Text | None = Field(None, max_length=lim.MAX_DESCRIPTION_LENGTH)
    claims: list[ClaimItemIn] = Field(
        default_factory=list,
        min_length=1,
        max_length=lim.MAX_ITEMS,
        description="required unless `resume` is set (then leave it out: the ticket's scope is used)",
    )
    ttl_hours: float | None = Field(
        None,
        gt=0,
        description=f"defaults to COORD_DEFAULT_TTL_HOURS (COORD_SHARED_TTL_HOURS for shared files); {TTL_HELP}",
    )
    wait_seconds: float = Field(0, ge=0, le=lim.MAX_WAIT_SECONDS, description=WAIT_HELP)
    urgency: Urgency = Field(
        Urgency.NORMAL, description="queue priority: blocking > high > normal > low (only matters with wait_seconds)"
    )
    resume: Plain | None = Field(
        None,
        max_length=lim.MAX_TICKET_LENGTH,
        description=(
            "the `queue.ticket` of an earlier 202: wait again in the same place in line, until the entry's "
            "own deadline (its scope and wait come from the first call; `claims`/`wait_seconds` are not read)"
        ),
        examples=["q12-0123456789ab"],
    )

    @model_validator(mode="after")
    def _claims_or_resume(self) -> CreateClaimsIn:
        if not self.claims and not self.resume:
            raise ValueError("claims must list at least one item (or resume a ticket)")
        return self


class CarveOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    path: str
    symbol: str
    by: int


class ClaimOut(BaseModel):
    # Read by attribute from the service's `Claim` record (a docstring would show in the OpenAPI).
    model_config = ConfigDict(from_attributes=True)

    id: int
    repo_id: str
    engineer: str
    session_id: str | None
    branch: str | None
    description: str | None
    type: ClaimType
    pattern: str
    symbols: list[str]
    narrowable: bool
    carved: list[CarveOut]
    coexists_with: list[int]
    state: ClaimState
    created_at: Moment
    expires_at: Moment
    ended_at: Moment | None
    fence: int = Field(description="per-repo monotonically increasing fencing token of the grant")


class NoticeOut(BaseModel):
    # Read from the service's `Notice` record: its kind's fields (`message`, `request_id`, ...)
    # follow the four common ones, as they always have (extra fields are allowed).
    model_config = ConfigDict(extra="allow")

    id: int
    kind: str = Field(
        description=(
            "what happened: auto-coexist, auto-narrow, release-request, release-cancel, release-answer, "
            "overlap-detected or unclaimed-write; the fields after created_at depend on it"
        )
    )
    claim_id: int | None
    created_at: Moment

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, value: Any) -> Any:
        # A `Notice` record (service.records) shows its `detail` beside its own fields.
        return value.as_json() if hasattr(value, "as_json") else value


Notices = Annotated[list[NoticeOut], Field(description="notices for the caller, delivered once")]


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pattern: str
    type: ClaimType
    outcome: Literal["GRANT", "AUTO_COEXIST", "AUTO_NARROW"]
    claim_id: int
    refreshed: bool
    coexists_with: list[int]
    narrowed: list[int]
    note: str | None = Field(None, description="why the claim was stored differently from the request")


class QueueGrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="the queue entry")
    state: Literal[QueueState.GRANTED] = QueueState.GRANTED
    waited_sec: float = Field(description="seconds between joining the queue and the grant")


class QueueBlockerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    claim_id: int
    engineer: str = Field(description="who you are waiting on")
    type: ClaimType
    pattern: str
    symbols: list[str]
    state: ClaimState
    expires_at: Moment


class QueueWaitingOut(BaseModel):
    """A 202: the call's share of the wait ended (COORD_MAX_CALL_WAIT_SEC), the entry still waits."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="the queue entry")
    state: Literal["waiting"] = "waiting"
    ticket: str = Field(description="pass as `resume` (POST /claims) or claim_files(resume=...) to keep waiting")
    resume_before: Moment = Field(
        description="resume by then (COORD_QUEUE_WAITER_LEASE_SEC from this answer) or the entry is abandoned"
    )
    deadline: Moment = Field(description="when the whole wait ends (joining the queue + wait_seconds)")
    place: int | None = Field(None, description="1 = considered first among the repo's waiting entries")
    waited_sec: float = Field(description="seconds since joining the queue")
    blocking: list[QueueBlockerOut] = Field(description="the active claims the entry waits on")


class CreateClaimsOut(BaseModel):
    claims: list[ClaimOut]
    decisions: list[DecisionOut]
    pending_requests: Notices
    queue: Annotated[QueueGrantOut | QueueWaitingOut, Field(discriminator="state")] | None = Field(
        None,
        description="set when the claims were granted from the queue, or (202) when the entry still waits",
    )


class ClaimBrief(BaseModel):
    """Who holds what, until when (records.claim_brief)."""

    model_config = ConfigDict(from_attributes=True)

    claim_id: int
    engineer: str
    type: ClaimType
    pattern: str
    symbols: list[str]
    expires_at: Moment
    fence: int


class ConflictEntry(ClaimBrief):
    requested_pattern: str


class QueueEndOut(BaseModel):
    id: int
    state: Literal[QueueState.EXPIRED, QueueState.CANCELLED, QueueState.ABANDONED]


class DeadlockStep(BaseModel):
    engineer: str = Field(description="who waits")
    queue_id: int | None = Field(description="their queue entry (null: the refused request)")
    wants: str = Field(description="the pattern they asked for")
    held_by: str
    claim_id: int = Field(description="the claim they wait for")
    pattern: str = Field(description="that claim's pattern")


class ConflictOut(ErrorOut):
    conflicts: list[ConflictEntry]
    suggestion: str
    queue: QueueEndOut | None = Field(
        None, description="with wait_seconds: the queue entry, expired (the wait ended) or cancelled"
    )
    cycle: list[DeadlockStep] | None = Field(
        None, description="`error: deadlock`: the waits of the cycle in order, starting with this request"
    )
    engineers: list[str] | None = Field(
        None, description="`error: deadlock`: the engineers of the cycle, starting with the requester"
    )


class ClaimListOut(BaseModel):
    claims: list[ClaimOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last page")


class ReleaseIn(Strict):
    repo_id: Plain = Field("default", max_length=lim.MAX_REPO_ID_LENGTH)
    engineer: Plain = Field(
        max_length=lim.MAX_ENGINEER_LENGTH, description="the engineer releasing: only its own claims unless force"
    )
    session_id: Plain | None = Field(None, max_length=lim.MAX_SESSION_ID_LENGTH)
    pattern: Plain | None = Field(None, max_length=lim.MAX_PATTERN_LENGTH, description="claims on exactly this pattern")
    claim_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(None, max_length=lim.MAX_RELEASE_IDS)
    force: bool = Field(
        False, description="match every engineer's claims (needs session_id, pattern or claim_ids); audited"
    )


class ReleaseOut(BaseModel):
    released: list[int]


class ExtendIn(Strict):
    engineer: Plain = Field(
        max_length=lim.MAX_ENGINEER_LENGTH, description="the engineer extending (the holder's exact id)"
    )
    ttl_hours: float | None = Field(None, gt=0, description=f"hours from now; default: the type's TTL; {TTL_HELP}")
    force: bool = Field(False, description="extend another engineer's claim (recorded with you as actor)")
    if_fence: int | None = Field(None, ge=0, le=MAX_ID, description="only if the claim's fence is still this")


class ExtendOut(ClaimOut):
    pending_requests: Notices


class HeartbeatIn(Strict):
    engineer: Plain | None = Field(None, max_length=lim.MAX_ENGINEER_LENGTH)
    repo_id: Plain | None = Field(None, max_length=lim.MAX_REPO_ID_LENGTH)


class HeartbeatOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: str
    last_seen: Moment
    active_claims: int
    pending_requests: Notices


class ConflictsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    safe: bool
    safe_to_proceed: bool
    has_conflicts: bool
    conflicts: list[ConflictEntry]
    suggestion: str | None


class VerifyIn(Strict):
    repo_id: Plain = Field("default", max_length=lim.MAX_REPO_ID_LENGTH)
    engineer: Plain = Field(max_length=lim.MAX_ENGINEER_LENGTH)
    # Not Plain: a path that cannot be checked is answered in `unchecked`, never a 400 for all.
    paths: list[str] = Field(max_length=lim.MAX_VERIFY_PATHS)


class VerifyEntry(ClaimBrief):
    path: str
    same_person: bool = Field(
        False, description="the server's answer: this holder counts as the caller's own person (COORD_SAME_PERSON)"
    )


class UncheckedPath(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    path: str
    reason: str


class VerifyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ours: list[VerifyEntry]
    theirs: list[VerifyEntry]
    unchecked: list[UncheckedPath] = Field(
        default_factory=list,
        description="paths that cannot name a repo file (with the reason); the others were checked",
    )


class OwnershipIn(Strict):
    repo_id: Plain = Field("default", max_length=lim.MAX_REPO_ID_LENGTH)
    yaml: str = Field(
        max_length=lim.MAX_OWNERS_YAML_BYTES,
        description=(
            f"the owners.yaml text; comments are kept. At most {lim.MAX_OWNERS_YAML_BYTES} bytes (UTF-8), "
            f"{lim.MAX_OWNERS_YAML_NODES} values and {lim.MAX_OWNERS_YAML_DEPTH} levels of nesting"
        ),
    )
    replace_managed: bool = Field(
        False,
        description=(
            "false (default): entries coord wrote into the stored copy (`# auto-promoted=DATE`, "
            "`# coord-promoted=DATE`) that the upload does not list are kept, appended with their "
            "markers; true: the upload replaces them too"
        ),
    )


class ManagedEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str = Field(description="shared_files or split_candidates")
    pattern: str
    mark: str = Field(description="the entry's end-of-line comment, with coord's marker")


class ManagedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kept: list[ManagedEntry] = Field(description="coord-written entries the upload lacked, kept in the stored copy")
    dropped: list[ManagedEntry] = Field(description="coord-written entries removed (replace_managed=true)")


class OwnerRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pattern: str
    owners: list[str]


class OwnershipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    repo_id: str
    yaml: str = Field(description="the stored owners.yaml (after an upload: with what was kept)")
    owners: list[OwnerRuleOut]
    shared_files: list[str]
    managed: ManagedOut | None = Field(None, description="on upload: coord-written entries kept or dropped")


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    repo_id: str
    event_type: str
    engineer: str | None
    claim_id: int | None
    pattern: str | None
    detail: dict[str, Any]
    created_at: Moment


class EventListOut(BaseModel):
    events: list[EventOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last page")
