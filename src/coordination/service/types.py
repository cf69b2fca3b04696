"""What the claim use cases take and give back: a claim request and its result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from coordination.core.model import ClaimItem
from coordination.service.queue_records import QueueGrant, QueueJoin, QueueWait
from coordination.service.records import Claim, Decision, Notice

__all__ = ["ClaimRequest", "ClaimResult", "Clock", "utcnow"]

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ClaimRequest:
    engineer: str
    items: list[ClaimItem]
    repo_id: str = "default"
    session_id: str | None = None
    branch: str | None = None
    description: str | None = None
    ttl_hours: float | None = None
    # Queue: wait up to this long if the request conflicts (0: answer the conflict at once).
    wait_seconds: float = 0
    urgency: str = "normal"
    # A ticket from an earlier call whose wait goes on: wait again in the same place (`service.tickets`).
    resume: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimResult:
    claims: list[Claim]
    decisions: list[Decision]
    pending_requests: list[Notice]
    # Set when the request joined the queue (claims are then empty), was granted from it,
    # or (a 202) still waits in it when the call's share of the wait ended.
    queue: QueueJoin | QueueGrant | QueueWait | None = None
