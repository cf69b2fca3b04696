"""Request and response bodies of release requests and the auto-resolution metric."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coordination.api.schemas import (
    PATTERN_HELP,
    TTL_HELP,
    ClaimOut,
    Moment,
    Plain,
    QueueBlockerOut,
    Strict,
    Symbol,
    Text,
)
from coordination.core import limits as lim
from coordination.core.limits import MAX_ID
from coordination.core.vocabulary import Answer, ClaimType, QueueState, RequestState, Urgency


class ReleaseRequestIn(Strict):
    repo_id: Plain = Field("default", max_length=lim.MAX_REPO_ID_LENGTH)
    requester: Plain = Field(max_length=lim.MAX_ENGINEER_LENGTH, examples=["bob/codex/1"], description="who asks")
    claim_id: int = Field(ge=1, le=MAX_ID, description="the blocking claim (from the 409's conflicts)")
    reason: Text = Field(min_length=1, max_length=lim.MAX_REASON_LENGTH, description="why you need the scope")
    urgency: Urgency = Urgency.NORMAL
    pattern: Plain | None = Field(
        None,
        max_length=lim.MAX_PATTERN_LENGTH,
        description=f"the scope you want; default: the claim's whole pattern; {PATTERN_HELP}",
    )
    symbols: list[Symbol] | None = Field(
        None, max_length=lim.MAX_SYMBOLS_PER_CLAIM, description="symbols you want in that file"
    )
    session_id: Plain | None = Field(
        None, max_length=lim.MAX_SESSION_ID_LENGTH, description="your session: tags the claim a 'coexist' answer grants"
    )
    ttl_hours: float | None = Field(None, gt=0, description=f"TTL of the claim a 'coexist' answer grants; {TTL_HELP}")


class RespondIn(Strict):
    engineer: Plain = Field(max_length=lim.MAX_ENGINEER_LENGTH, description="the holder answering")
    answer: Answer
    keep_pattern: Plain | None = Field(
        None,
        max_length=lim.MAX_PATTERN_LENGTH,
        description="narrow: the part of the pattern you keep (inside the old one)",
    )
    keep_symbols: list[Symbol] | None = Field(
        None, max_length=lim.MAX_SYMBOLS_PER_CLAIM, description="narrow: the symbols you keep (a subset of the claim's)"
    )
    note: Text | None = Field(None, max_length=lim.MAX_NOTE_LENGTH, description="a word for the requester")


class CancelIn(Strict):
    engineer: Plain = Field(max_length=lim.MAX_ENGINEER_LENGTH, description="the requester withdrawing the request")


class ReleaseRequestOut(BaseModel):
    # Read by attribute from the service's `ReleaseRequest` record.
    model_config = ConfigDict(from_attributes=True)

    id: int
    repo_id: str
    claim_id: int
    requester: str
    holder: str
    reason: str
    urgency: Urgency
    wanted_pattern: str
    wanted_symbols: list[str]
    state: RequestState = Field(description="open until answered; cancelled if withdrawn or the claim ended")
    answer: Answer | None
    answer_detail: dict[str, Any] = Field(description="what the answer did (kept scope, granted claim, ...)")
    created_at: Moment
    answered_at: Moment | None
    claim: ClaimOut | None = Field(description="the holder's claim as it is now")


class RespondOut(ReleaseRequestOut):
    granted: ClaimOut | None = Field(description="coexist: the claim granted to the requester")


class ReleaseRequestListOut(BaseModel):
    requests: list[ReleaseRequestOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last page")


class QueueItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    type: ClaimType
    pattern: str
    symbols: list[str]


class QueueEntryOut(BaseModel):
    # Read by attribute from the service's `QueueEntry` record.
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="the queue id: DELETE /queue/{id}?engineer= cancels a waiting entry")
    repo_id: str
    engineer: str
    session_id: str | None
    urgency: Urgency
    priority: int = Field(description="declared: low 0, normal 1, high 2, blocking 3")
    effective_priority: int = Field(description="priority plus one once older than COORD_QUEUE_AGE_BOOST_SECONDS")
    position: int = Field(description="join order in the repo (monotonic)")
    place: int | None = Field(None, description="1 = considered first among the repo's waiting entries")
    state: QueueState = Field(
        description="abandoned: its waiter went away (disconnected, its server stopped or died); never granted"
    )
    claims: list[QueueItemOut] = Field(description="the scopes asked for")
    ttl_hours: float | None
    created_at: Moment
    deadline: Moment = Field(description="when the wait ends")
    ended_at: Moment | None
    waited_sec: float
    granted_claims: list[int]
    blocking: list[QueueBlockerOut] = Field(description="the active claims this entry waits on")


class QueueListOut(BaseModel):
    queue: list[QueueEntryOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last page")


class AutoResolutionDay(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    date: str = Field(description="YYYY-MM-DD, UTC")
    auto_coexist: int
    auto_narrow: int


class AutoResolutionsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    days: int
    since: str
    until: str
    repos: dict[str, list[AutoResolutionDay]]


class HotspotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pattern: str = Field(description="the requested pattern agents were refused on")
    attempts: int = Field(description="refused claim items on it in the window")
    engineers: int = Field(description="distinct engineers among them")
    last_attempt_at: Moment
    suggested_action: Literal["shared_file", "split", "monitor"]


class PromotionThresholdsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    shared_file: int = Field(description="refused attempts from which `shared_file` is suggested")
    split: int = Field(description="refused attempts from which `split` is suggested")
    monitor: int = Field(description="refused attempts from which `monitor` is suggested")


class HotspotsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    days: int
    since: str
    until: str
    thresholds: PromotionThresholdsOut
    repos: dict[str, list[HotspotOut]]


class PromoteIn(Strict):
    repo_id: Plain = Field("default", max_length=lim.MAX_REPO_ID_LENGTH)
    action: Literal["shared_file", "split"]
    pattern: Plain = Field(min_length=1, max_length=lim.MAX_PROMOTE_PATTERN_LENGTH)


class PromoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    repo_id: str
    action: str
    pattern: str
    changed: bool = Field(description="false when the rule was already there (nothing written)")
    detail: str
    yaml: str = Field(description="the repo's owners.yaml after the call")


class WebhookEventCounts(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    delivered: int
    pending: int
    exhausted: int


class WebhookDeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enabled: bool = Field(description="Whether COORD_WEBHOOK_URL is set on this server")
    hours: int
    since: Moment
    events: dict[str, WebhookEventCounts] = Field(description="Outbox rows created in the window, by webhook event")
    totals: WebhookEventCounts
