"""The words of the API, defined once: every schema, option, tool parameter and doc uses these.

Each is a `StrEnum`, so a member *is* its string: stored values, JSON bodies and
command-line arguments stay the plain strings listed here (`Urgency.HIGH == "high"`).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Answer", "ClaimState", "ClaimType", "QueueState", "RequestState", "Role", "Urgency"]


class ClaimType(StrEnum):
    """What a claim covers: a file or glob, a directory subtree, or a file everyone may edit at once."""

    FILE = "file"
    MODULE = "module"
    SHARED_FILE = "shared_file"


class ClaimState(StrEnum):
    """A claim's lifecycle: active until released, past its TTL, or its session went idle."""

    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"
    IDLE_EXPIRED = "idle_expired"


class Urgency(StrEnum):
    """How soon a requester needs the scope; orders the claim queue (blocking first)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    BLOCKING = "blocking"

    @property
    def rank(self) -> int:
        """The queue priority: low 0, normal 1, high 2, blocking 3."""
        return _URGENCY_RANK[self]


_URGENCY_RANK = {Urgency.LOW: 0, Urgency.NORMAL: 1, Urgency.HIGH: 2, Urgency.BLOCKING: 3}


class Answer(StrEnum):
    """A holder's answer to a release request."""

    RELEASE = "release"
    NARROW = "narrow"
    COEXIST = "coexist"
    DENY = "deny"


class RequestState(StrEnum):
    """A release request: open until answered; cancelled if withdrawn or the claim ended."""

    OPEN = "open"
    ANSWERED = "answered"
    CANCELLED = "cancelled"


class Role(StrEnum):
    """Which side of a release request an engineer is on."""

    HOLDER = "holder"
    REQUESTER = "requester"


class QueueState(StrEnum):
    """A claim-queue entry: waiting until granted, cancelled, expired (the wait ended) or abandoned."""

    WAITING = "waiting"
    GRANTED = "granted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ABANDONED = "abandoned"
