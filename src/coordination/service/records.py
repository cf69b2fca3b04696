"""What the use cases give back: frozen records, typed, built once from the stored rows.

The API validates them into its response models (`from_attributes`); code that
still answers plain JSON (the edit gate, release-request answers) uses `as_json`,
which gives the very body the API shows. Times are aware UTC datetimes; on the
wire they are ISO 8601 with a `Z` (`records.iso`). The claim queue's records are in
`service.queue_records`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from coordination import records
from coordination.core.model import ActiveClaim, Carve, Outcome
from coordination.core.vocabulary import Answer, ClaimState, ClaimType, RequestState, Urgency
from coordination.store.rows import ClaimRow, NoticeRow

__all__ = [
    "AnsweredRequest",
    "Claim",
    "ConflictCheck",
    "Conflicting",
    "Covering",
    "Decision",
    "ExtendedClaim",
    "Heartbeat",
    "Holder",
    "Notice",
    "ReleaseRequest",
    "UncheckedPath",
    "Verification",
    "claim_fields",
    "holder_json",
    "claim_from_row",
    "conflicting",
    "covering",
    "decision_from_json",
    "holder_of",
    "iso_z",
    "notice_from_row",
    "request_fields",
]


def iso_z(moment: datetime) -> str:
    """An aware datetime as the API shows it: ISO 8601 in UTC, `Z` for `+00:00`."""
    return moment.isoformat().replace("+00:00", "Z")


def _moment(value: float) -> datetime:
    moment = records.from_epoch(value)
    assert moment is not None
    return moment


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim in any state, as readers are shown it (`state` is the state it counts as now)."""

    id: int
    repo_id: str
    engineer: str
    session_id: str | None
    branch: str | None
    description: str | None
    type: ClaimType
    pattern: str
    symbols: tuple[str, ...]
    narrowable: bool
    carved: tuple[Carve, ...]
    coexists_with: tuple[int, ...]
    state: ClaimState
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    fence: int

    def as_json(self) -> dict[str, Any]:
        """The claim as the API's JSON body (`ClaimOut`)."""
        return {
            "id": self.id,
            "repo_id": self.repo_id,
            "engineer": self.engineer,
            "session_id": self.session_id,
            "branch": self.branch,
            "description": self.description,
            "type": self.type.value,
            "pattern": self.pattern,
            "symbols": list(self.symbols),
            "narrowable": self.narrowable,
            "carved": [{"path": c.path, "symbol": c.symbol, "by": c.by} for c in self.carved],
            "coexists_with": list(self.coexists_with),
            "state": self.state.value,
            "created_at": iso_z(self.created_at),
            "expires_at": iso_z(self.expires_at),
            "ended_at": None if self.ended_at is None else iso_z(self.ended_at),
            "fence": self.fence,
        }


def claim_from_row(row: ClaimRow, now: float, silent: frozenset[str] = frozenset()) -> Claim:
    """A stored claim row as a `Claim` read at `now` (see `records.present_state`)."""
    return Claim(
        id=int(row.id),
        repo_id=row.repo_id,
        engineer=row.engineer,
        session_id=row.session_id,
        branch=row.branch,
        description=row.description,
        type=ClaimType(row.type),
        pattern=row.pattern,
        symbols=tuple(json.loads(row.symbols)),
        narrowable=bool(row.narrowable),
        carved=records.carves_from_json(row.carved),
        coexists_with=tuple(json.loads(row.coexists_with)),
        state=ClaimState(records.present_state(row, now, silent)),
        created_at=_moment(row.created_at),
        expires_at=_moment(row.expires_at),
        ended_at=records.from_epoch(row.ended_at),
        fence=int(row.fence),
    )


@dataclass(frozen=True, slots=True)
class ExtendedClaim(Claim):
    """An extended claim, with the notices its holder had pending (`POST /claims/{id}/extend`)."""

    pending_requests: tuple[Notice, ...]

    def as_json(self) -> dict[str, Any]:
        return {**Claim.as_json(self), "pending_requests": [n.as_json() for n in self.pending_requests]}


def claim_fields(claim: Claim) -> dict[str, Any]:
    """A claim's fields by name (shallow: carves stay `Carve`s), to build a record that extends it."""
    return {f.name: getattr(claim, f.name) for f in fields(Claim)}


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    """A release request as readers are shown it; an open request whose claim ended shows as cancelled."""

    id: int
    repo_id: str
    claim_id: int
    requester: str
    holder: str
    reason: str
    urgency: Urgency
    wanted_pattern: str
    wanted_symbols: tuple[str, ...]
    state: RequestState
    answer: Answer | None
    answer_detail: dict[str, Any]  # what the answer did; its shape depends on the answer
    created_at: datetime
    answered_at: datetime | None
    claim: Claim | None  # the holder's claim as it is now

    def as_json(self) -> dict[str, Any]:
        """The request as the API's JSON body (`ReleaseRequestOut`)."""
        return {
            "id": self.id,
            "repo_id": self.repo_id,
            "claim_id": self.claim_id,
            "requester": self.requester,
            "holder": self.holder,
            "reason": self.reason,
            "urgency": self.urgency.value,
            "wanted_pattern": self.wanted_pattern,
            "wanted_symbols": list(self.wanted_symbols),
            "state": self.state.value,
            "answer": None if self.answer is None else self.answer.value,
            "answer_detail": self.answer_detail,
            "created_at": iso_z(self.created_at),
            "answered_at": None if self.answered_at is None else iso_z(self.answered_at),
            "claim": None if self.claim is None else self.claim.as_json(),
        }


@dataclass(frozen=True, slots=True)
class AnsweredRequest(ReleaseRequest):
    """A request just answered, with the claim a coexist answer granted the requester."""

    granted: Claim | None

    def as_json(self) -> dict[str, Any]:
        granted = None if self.granted is None else self.granted.as_json()
        return {**ReleaseRequest.as_json(self), "granted": granted}


def request_fields(request: ReleaseRequest) -> dict[str, Any]:
    """A request's fields by name, to build a record that extends it."""
    return {f.name: getattr(request, f.name) for f in fields(ReleaseRequest)}


@dataclass(frozen=True, slots=True)
class Notice:
    """What an engineer is told once, on their next call (`pending_requests`).

    `detail` holds the fields of the notice's kind (`message`, `request_id`, ...);
    the API shows them beside `id`, `kind`, `claim_id` and `created_at`.
    """

    id: int
    kind: str
    claim_id: int | None
    created_at: datetime
    detail: Mapping[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The notice as the API's JSON object: its four fields, then its kind's."""
        return {
            "id": self.id,
            "kind": self.kind,
            "claim_id": self.claim_id,
            "created_at": iso_z(self.created_at),
            **self.detail,
        }


def notice_from_row(row: NoticeRow) -> Notice:
    """A stored notice row (its `detail` still JSON text) as a `Notice`."""
    return Notice(
        id=int(row.id),
        kind=str(row.kind),
        claim_id=row.claim_id,
        created_at=_moment(row.created_at),
        detail=json.loads(row.detail),
    )


@dataclass(frozen=True, slots=True)
class Decision:
    """What a granted request did with one of its items (`POST /claims` `decisions`).

    The stored outcome of `core.model.Decision`, the pure decision taken before anything was written.
    """

    pattern: str
    type: ClaimType
    outcome: Outcome  # GRANT, AUTO_COEXIST or AUTO_NARROW: a refused request grants nothing
    claim_id: int
    refreshed: bool
    coexists_with: tuple[int, ...]
    narrowed: tuple[int, ...]
    note: str | None  # why the claim was stored differently from the request

    def as_json(self) -> dict[str, Any]:
        """The decision as stored with a queue grant and shown by the API (`DecisionOut`)."""
        return {
            "pattern": self.pattern,
            "type": self.type.value,
            "outcome": self.outcome.value,
            "claim_id": self.claim_id,
            "refreshed": self.refreshed,
            "coexists_with": list(self.coexists_with),
            "narrowed": list(self.narrowed),
            "note": self.note,
        }


def decision_from_json(item: dict[str, Any]) -> Decision:
    """A decision stored as JSON (a queue entry's grant) as a `Decision`."""
    return Decision(
        pattern=item["pattern"],
        type=ClaimType(item["type"]),
        outcome=Outcome(item["outcome"]),
        claim_id=int(item["claim_id"]),
        refreshed=bool(item["refreshed"]),
        coexists_with=tuple(item["coexists_with"]),
        narrowed=tuple(item["narrowed"]),
        note=item.get("note"),
    )


def holder_json(held: Holder | Any) -> dict[str, Any]:
    """The holder's part of an answer (claim, who, what, until when, fence), as the API shows
    it; for `Holder` and the records that carry the same fields (`RecordedWrite`)."""
    return {
        "claim_id": held.claim_id,
        "engineer": held.engineer,
        "type": held.type.value,
        "pattern": held.pattern,
        "symbols": list(held.symbols),
        "expires_at": iso_z(held.expires_at),
        "fence": held.fence,
    }


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds what, until when: the part of a claim a conflict answer shows (`records.claim_brief`)."""

    claim_id: int
    engineer: str
    type: ClaimType
    pattern: str
    symbols: tuple[str, ...]
    expires_at: datetime
    fence: int

    def as_json(self) -> dict[str, Any]:
        return holder_json(self)


def holder_of(claim: ActiveClaim) -> Holder:
    return Holder(
        claim_id=claim.id,
        engineer=claim.engineer,
        type=claim.type,
        pattern=claim.pattern,
        symbols=tuple(claim.symbols),
        expires_at=claim.expires_at,
        fence=claim.fence,
    )


@dataclass(frozen=True, slots=True)
class Conflicting(Holder):
    """A claim that blocks a requested pattern (`records.conflict_entry`)."""

    requested_pattern: str

    def as_json(self) -> dict[str, Any]:
        return {**Holder.as_json(self), "requested_pattern": self.requested_pattern}


def conflicting(claim: ActiveClaim, requested: str) -> Conflicting:
    holder = holder_of(claim)
    return Conflicting(**{f.name: getattr(holder, f.name) for f in fields(Holder)}, requested_pattern=requested)


@dataclass(frozen=True, slots=True)
class ConflictCheck:
    """What `POST /claims` would say for some paths (`GET /conflicts`): who blocks them, and advice."""

    conflicts: tuple[Conflicting, ...]
    suggestion: str | None

    @property
    def safe(self) -> bool:
        return not self.conflicts

    @property
    def safe_to_proceed(self) -> bool:
        return not self.conflicts

    @property
    def has_conflicts(self) -> bool:
        return bool(self.conflicts)


@dataclass(frozen=True, slots=True)
class Covering(Holder):
    """A live claim covering a path a push changed (`POST /claims/verify`)."""

    path: str
    same_person: bool  # the server's rule (COORD_SAME_PERSON): the holder counts as the caller


def covering(claim: ActiveClaim, path: str, same_person: bool) -> Covering:
    holder = holder_of(claim)
    return Covering(**{f.name: getattr(holder, f.name) for f in fields(Holder)}, path=path, same_person=same_person)


@dataclass(frozen=True, slots=True)
class UncheckedPath:
    """A path that cannot name a repo file, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Verification:
    """Which changed paths the caller's own claims cover (`ours`), which others' claims stop (`theirs`)."""

    ours: tuple[Covering, ...]
    theirs: tuple[Covering, ...]
    unchecked: tuple[UncheckedPath, ...]


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A session marked alive (`POST /sessions/{id}/heartbeat`), with the caller's notices."""

    session_id: str
    last_seen: datetime
    active_claims: int
    pending_requests: tuple[Notice, ...]
