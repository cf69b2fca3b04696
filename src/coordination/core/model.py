"""Plain value types shared by the conflict engine and everything around it.

No I/O here: time is always passed in, storage ids are opaque integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from coordination.core.vocabulary import ClaimType, Urgency

# ClaimType and Urgency are defined with the rest of the vocabulary (core.vocabulary).
__all__ = ["ActiveClaim", "Carve", "ClaimItem", "ClaimType", "Decision", "Outcome", "Urgency"]


class Outcome(StrEnum):
    GRANT = "GRANT"
    AUTO_COEXIST = "AUTO_COEXIST"
    AUTO_NARROW = "AUTO_NARROW"
    CONFLICT = "CONFLICT"
    INVALID = "INVALID"


@dataclass(frozen=True, slots=True)
class ClaimItem:
    """One scope asked for in a request, before any decision.

    `literal` means `pattern` is a path to take as written, glob characters
    included (`pages/[id].tsx`); core.spelling turns it into the escaped
    pattern the engine reads before anything is decided.
    """

    type: ClaimType
    pattern: str
    symbols: tuple[str, ...] = ()
    literal: bool = False


@dataclass(frozen=True, slots=True)
class Carve:
    """A symbol removed from a holder's whole-file scope by AUTO_NARROW."""

    path: str
    symbol: str
    by: int = 0  # the claim that took it; the carve ends when that claim does


@dataclass(frozen=True, slots=True)
class ActiveClaim:
    """A granted claim as the engine sees it.

    `pattern` is already normalised (a module claim's directory is `dir/**`).
    `carved` lists symbols other engineers took out of this claim's scope;
    `partners` the claims that hold beside it by AUTO_COEXIST, AUTO_NARROW or
    a holder's `coexist` answer.
    """

    id: int
    repo_id: str
    engineer: str
    type: ClaimType
    pattern: str
    expires_at: datetime
    symbols: tuple[str, ...] = ()
    narrowable: bool = True
    session_id: str | None = None
    carved: tuple[Carve, ...] = ()
    fence: int = 0
    partners: tuple[int, ...] = ()  # claims it coexists with by agreement (coexists_with)

    @property
    def exclusive(self) -> bool:
        return self.type is not ClaimType.SHARED_FILE


@dataclass(frozen=True, slots=True)
class Decision:
    """What the engine decided for one requested item.

    `blocking` holds the claims that stop a CONFLICT; `narrowed` the claims an
    AUTO_NARROW carves symbols out of; `coexists_with` the symbol claims an
    AUTO_COEXIST sits beside; `refreshes` the requester's own identical claim.
    """

    item: ClaimItem
    outcome: Outcome
    reason: str | None = None
    blocking: tuple[ActiveClaim, ...] = ()
    narrowed: tuple[ActiveClaim, ...] = ()
    coexists_with: tuple[ActiveClaim, ...] = ()
    refreshes: ActiveClaim | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def granted(self) -> bool:
        return self.outcome in (Outcome.GRANT, Outcome.AUTO_COEXIST, Outcome.AUTO_NARROW)
