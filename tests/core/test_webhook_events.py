"""Which audit events are sent as webhooks, the allowlist and the retry schedule."""

from __future__ import annotations

import pytest

from coordination.core import webhook_events as we


def test_the_documented_events_are_all_sent() -> None:
    for name in ("auto-coexist", "auto-narrow", "auto-promote", "auto-demote", "queue_grant", "queue_cancel"):
        assert we.webhook_name(name) == name
    assert we.webhook_name("grant") == "claim_granted"
    assert we.webhook_name("release") == "claim_released"


def test_bookkeeping_events_are_never_sent() -> None:
    for audit in ("refresh", "extend", "conflict", "ownership", "queue_wait", "claim_granted", "nonsense"):
        assert we.webhook_name(audit) is None


def test_empty_allowlist_means_every_event() -> None:
    assert we.parse_allowlist(None) == we.WEBHOOK_EVENTS
    assert we.parse_allowlist("") == we.WEBHOOK_EVENTS
    assert we.parse_allowlist(" , ") == we.WEBHOOK_EVENTS


def test_allowlist_filters_and_trims() -> None:
    allowed = we.parse_allowlist(" auto-promote, queue_grant ,claim_granted")
    assert allowed == {"auto-promote", "queue_grant", "claim_granted"}
    assert we.webhook_name("grant", allowed) == "claim_granted"
    assert we.webhook_name("queue_grant", allowed) == "queue_grant"
    assert we.webhook_name("auto-coexist", allowed) is None
    assert we.webhook_name("release", allowed) is None


def test_unknown_allowlist_entries_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="queue_grnat"):
        we.parse_allowlist("queue_grant,queue_grnat")
    # The audit name of a renamed event is not a webhook name.
    with pytest.raises(ValueError, match="grant"):
        we.parse_allowlist("grant")


def test_backoff_doubles_from_the_base() -> None:
    assert [we.retry_delay(60, n) for n in range(1, 6)] == [60, 120, 240, 480, 960]
    assert we.retry_delay(0, 3) == 0
    assert we.retry_delay(60, 1000) == we.MAX_RETRY_DELAY_SEC


def test_exhausted_after_max_attempts() -> None:
    schedule = []
    attempts = 0
    while True:
        failure = we.after_failure(attempts, max_attempts=5, backoff_sec=10)
        schedule.append(failure.delay_sec)
        attempts = failure.attempts
        if failure.exhausted:
            break
    assert attempts == 5
    assert schedule == [10, 20, 40, 80, 0]
    assert we.after_failure(0, 1, 10).exhausted
