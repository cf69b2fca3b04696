"""Which audit events become webhook deliveries, and when a failed delivery is retried.

Pure rules, no I/O: the service asks `webhook_name` for every audit row it
writes, and the delivery loop asks `after_failure` what to do with a failed POST.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Audit `event_type` -> webhook event name. Audit rows of any other type are never sent.
AUDIT_TO_WEBHOOK: dict[str, str] = {
    "grant": "claim_granted",
    "auto-coexist": "auto-coexist",
    "auto-narrow": "auto-narrow",
    "auto-promote": "auto-promote",
    "auto-demote": "auto-demote",
    "queue_grant": "queue_grant",
    "queue_cancel": "queue_cancel",
    "queue_expire": "queue_expire",
    "queue_abandon": "queue_abandon",
    "deadlock": "queue_deadlock",
    "release": "claim_released",
    "expire": "claim_expired",
    "idle-expire": "claim_idle_expired",
    "overlap-detected": "overlap-detected",
    "release-request": "release-request",
    "release-answer": "release-answer",
    "unclaimed-write": "unclaimed-write",
}

WEBHOOK_EVENTS: frozenset[str] = frozenset(AUDIT_TO_WEBHOOK.values())

# A retry is never scheduled further out than this, whatever the backoff and attempt count.
MAX_RETRY_DELAY_SEC = 86_400.0


def parse_allowlist(text: str | None) -> frozenset[str]:
    """The COORD_WEBHOOK_EVENTS value as a set of webhook event names; empty means all.

    Raises ValueError naming the unknown entries, so a typo fails at start-up
    instead of silently dropping every event.
    """
    names = {part.strip() for part in (text or "").split(",") if part.strip()}
    unknown = sorted(names - WEBHOOK_EVENTS)
    if unknown:
        raise ValueError(f"unknown webhook event(s) {', '.join(unknown)}; known: {', '.join(sorted(WEBHOOK_EVENTS))}")
    return frozenset(names) or WEBHOOK_EVENTS


def webhook_name(audit_type: str, allowed: Iterable[str] = WEBHOOK_EVENTS) -> str | None:
    """The webhook event to send for an audit row of `audit_type`, or None to send nothing."""
    name = AUDIT_TO_WEBHOOK.get(audit_type)
    if name is None or name not in allowed:
        return None
    return name


def retry_delay(backoff_sec: float, failed_attempts: int) -> float:
    """Seconds before the next attempt after `failed_attempts` failures (1, 2, ...):
    backoff, 2*backoff, 4*backoff, ... capped at MAX_RETRY_DELAY_SEC."""
    exponent = min(max(failed_attempts - 1, 0), 40)
    return float(min(backoff_sec * 2**exponent, MAX_RETRY_DELAY_SEC))


@dataclass(frozen=True)
class Failure:
    attempts: int  # attempts made so far, this one included
    exhausted: bool  # no attempt will follow
    delay_sec: float  # until the next attempt (0 when exhausted)


def after_failure(attempts_before: int, max_attempts: int, backoff_sec: float) -> Failure:
    """What follows a failed attempt when `attempts_before` attempts had already failed."""
    attempts = attempts_before + 1
    if attempts >= max_attempts:
        return Failure(attempts, True, 0.0)
    return Failure(attempts, False, retry_delay(backoff_sec, attempts))
