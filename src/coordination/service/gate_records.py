"""What the edit gate's use cases give back: frozen records, like `service.records`.

The API validates them into its response models (`from_attributes`); `as_json`
gives the same body where plain JSON is still answered.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

from coordination.core.model import ActiveClaim
from coordination.core.vocabulary import ClaimType
from coordination.service.records import Claim, Conflicting, Notice, holder_json, holder_of

__all__ = [
    "GateAnswer",
    "GateHolder",
    "RecordedWrite",
    "SessionEnded",
    "SessionStarted",
    "WriteReport",
    "gate_holder",
    "recorded_write",
]


@dataclass(frozen=True, slots=True)
class GateHolder(Conflicting):
    """A claim covering a path the tool will write, and whether its holder is the caller's own person."""

    same_person: bool

    def as_json(self) -> dict[str, Any]:
        return {**Conflicting.as_json(self), "same_person": self.same_person}


def gate_holder(entry: Conflicting, same_person: bool) -> GateHolder:
    return GateHolder(**{f.name: getattr(entry, f.name) for f in fields(Conflicting)}, same_person=same_person)


@dataclass(frozen=True, slots=True)
class GateAnswer:
    """`POST /gate/edit`: allow or deny the write, what was claimed for it, who holds the rest."""

    decision: Literal["allow", "deny"]
    claimed: tuple[Claim, ...]
    held_by_you: tuple[GateHolder, ...]
    conflicts: tuple[GateHolder, ...]
    suggestion: str | None
    warning: bool
    pending_requests: tuple[Notice, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordedWrite:
    """A write to a file another person holds (`POST /gate/written`); `new` is false when it was known."""

    path: str
    claim_id: int
    engineer: str
    type: ClaimType
    pattern: str
    symbols: tuple[str, ...]
    expires_at: datetime
    fence: int
    writer: str
    source: str
    holder: str
    new: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            **holder_json(self),
            "writer": self.writer,
            "source": self.source,
            "holder": self.holder,
            "new": self.new,
        }


def recorded_write(path: str, claim: ActiveClaim, writer: str, source: str, new: bool) -> RecordedWrite:
    holder = holder_of(claim)
    return RecordedWrite(
        path=path,
        claim_id=holder.claim_id,
        engineer=holder.engineer,
        type=holder.type,
        pattern=holder.pattern,
        symbols=holder.symbols,
        expires_at=holder.expires_at,
        fence=holder.fence,
        writer=writer,
        source=source,
        holder=claim.engineer,
        new=new,
    )


@dataclass(frozen=True, slots=True)
class WriteReport:
    """`POST /gate/written`: one entry per (file, holder claim)."""

    recorded: tuple[RecordedWrite, ...]


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """`POST /gate/session` `start`: the session's claims in the repo and its undelivered notices."""

    session_id: str
    claims: tuple[Claim, ...]
    pending_requests: tuple[Notice, ...]


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """`POST /gate/session` `end`: the ids of the claims the session's end released."""

    session_id: str
    released: tuple[int, ...]
