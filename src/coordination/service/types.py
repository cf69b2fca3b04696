"""What the claim use cases take and give back: a claim request and its result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from coordination.core.model import ClaimItem
from coordination.service.records import Claim

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


@dataclass
class ClaimResult:
    claims: list[Claim]
    decisions: list[dict[str, Any]]
    pending_requests: list[dict[str, Any]]
    # Set when the request joined the claim queue ({id, state, ...}); claims are then empty.
    queue: dict[str, Any] | None = None
