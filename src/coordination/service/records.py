"""What the use cases give back: frozen records, typed, built once from the stored rows.

The API validates them into its response models (`from_attributes`); code that
still answers plain JSON (the edit gate, release-request answers) uses `as_json`,
which gives the very body the API shows. Times are aware UTC datetimes; on the
wire they are ISO 8601 with a `Z` (`records.iso`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from coordination import records
from coordination.core.model import Carve
from coordination.core.vocabulary import Answer, ClaimState, ClaimType, RequestState, Urgency

__all__ = [
    "AnsweredRequest",
    "Claim",
    "ExtendedClaim",
    "ReleaseRequest",
    "claim_fields",
    "claim_from_row",
    "iso_z",
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


def claim_from_row(row: dict[str, Any], now: float, silent: frozenset[str] = frozenset()) -> Claim:
    """A stored claim row as a `Claim` read at `now` (see `records.present_state`)."""
    return Claim(
        id=int(row["id"]),
        repo_id=row["repo_id"],
        engineer=row["engineer"],
        session_id=row["session_id"],
        branch=row["branch"],
        description=row["description"],
        type=ClaimType(row["type"]),
        pattern=row["pattern"],
        symbols=tuple(json.loads(row["symbols"])),
        narrowable=bool(row["narrowable"]),
        carved=records.carves_from_json(row["carved"]),
        coexists_with=tuple(json.loads(row["coexists_with"])),
        state=ClaimState(records.present_state(row, now, silent)),
        created_at=_moment(row["created_at"]),
        expires_at=_moment(row["expires_at"]),
        ended_at=records.from_epoch(row["ended_at"]),
        fence=int(row["fence"]),
    )


@dataclass(frozen=True, slots=True)
class ExtendedClaim(Claim):
    """An extended claim, with the notices its holder had pending (`POST /claims/{id}/extend`)."""

    pending_requests: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {**Claim.as_json(self), "pending_requests": self.pending_requests}


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
