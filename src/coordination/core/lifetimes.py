"""Claim lifetimes: TTL defaults, expiry, idle sessions, release-request clamps."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from coordination.core.model import ActiveClaim, ClaimType


@dataclass(frozen=True, slots=True)
class TtlPolicy:
    default_hours: float = 4.0
    shared_hours: float = 2.0


def expires_at(now: datetime, claim_type: ClaimType, ttl_hours: float | None, policy: TtlPolicy) -> datetime:
    """When a claim granted at `now` ends; shared claims use the shared TTL unless asked otherwise."""
    if ttl_hours is None:
        ttl_hours = policy.shared_hours if claim_type is ClaimType.SHARED_FILE else policy.default_hours
    return now + timedelta(hours=ttl_hours)


def clamp(expires: datetime, now: datetime, seconds: float) -> datetime:
    """A release request leaves the holder at most `seconds` more."""
    return min(expires, now + timedelta(seconds=seconds))


def liveness(
    now: datetime, idle_timeout_sec: float, last_seen: Mapping[str, datetime]
) -> Callable[[ActiveClaim], bool]:
    """A predicate telling whether a claim still holds at `now`.

    A claim whose TTL ran out, or whose session has been silent longer than the
    idle timeout, no longer holds, whether or not a sweep has marked it yet.
    """
    idle_cutoff = now - timedelta(seconds=idle_timeout_sec) if idle_timeout_sec > 0 else None

    def is_live(claim: ActiveClaim) -> bool:
        if claim.expires_at <= now:
            return False
        if idle_cutoff is not None and claim.session_id:
            seen = last_seen.get(claim.session_id)
            if seen is not None and seen < idle_cutoff:
                return False
        return True

    return is_live
