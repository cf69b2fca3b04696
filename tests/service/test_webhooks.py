"""Webhook outbox and delivery through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from coordination import webhooks
from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Invalid
from coordination.service import ClaimRequest, ClaimService
from tests.conftest import FakeClock

REPO = "org/app"
ALEX, BOB = "alex/claude/1", "bob/codex/1"
URL = "http://receiver.test/hook?token=do-not-log"
SECRET = "s3cret-key"

Handler = Callable[[httpx.Request], httpx.Response]


def req(engineer: str, *patterns: str, **kw: Any) -> ClaimRequest:
    return ClaimRequest(engineer=engineer, items=[ClaimItem(ClaimType.FILE, p) for p in patterns], repo_id=REPO, **kw)


def outbox(service: ClaimService) -> list[dict[str, Any]]:
    with service.store.read() as tx:
        return tx.all("SELECT * FROM webhook_outbox ORDER BY id")


class Receiver:
    """An httpx transport that records requests and answers from a list of statuses."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            status = self.statuses.pop(0) if self.statuses else 200
        return httpx.Response(status)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


@pytest.fixture
def hooked(make_service: Callable[..., ClaimService]) -> ClaimService:
    return make_service(webhook_url=URL, webhook_secret=SECRET, webhook_retry_backoff_sec=10, webhook_max_retries=3)


def delivery(service: ClaimService, receiver: Receiver | httpx.BaseTransport) -> webhooks.WebhookDelivery:
    transport = receiver.transport() if isinstance(receiver, Receiver) else receiver
    return webhooks.WebhookDelivery(service.settings, service.store, clock=service.clock, transport=transport)


# ----------------------------------------------------------------- outbox


def test_no_outbox_rows_without_a_url(service: ClaimService) -> None:
    service.create_claims(req(ALEX, "src/a.py"))
    assert outbox(service) == []


def test_grant_is_enqueued_with_its_audit_row(hooked: ClaimService) -> None:
    claim_id = hooked.create_claims(req(ALEX, "src/a.py")).claims[0].id
    rows = outbox(hooked)
    assert [(r["event_type"], r["state"], r["attempts"], r["repo_id"]) for r in rows] == [
        ("claim_granted", "pending", 0, REPO)
    ]
    body = json.loads(rows[0]["payload"])
    assert body["event"] == "claim_granted" and body["audit_event"] == "grant"
    assert body["claim_id"] == claim_id and body["engineer"] == ALEX and body["pattern"] == "src/a.py"
    assert body["repo_id"] == REPO and body["occurred_at"].endswith("Z") and body["version"] == 1


def test_refresh_and_conflicts_are_not_sent(hooked: ClaimService) -> None:
    hooked.create_claims(req(ALEX, "src/a.py"))
    hooked.create_claims(req(ALEX, "src/a.py"))  # a refresh of the same claim
    with pytest.raises(Exception):  # noqa: B017 - the conflict itself is tested elsewhere
        hooked.create_claims(req(BOB, "src/a.py"))
    assert [r["event_type"] for r in outbox(hooked)] == ["claim_granted"]


def test_nothing_is_enqueued_when_the_change_rolls_back(hooked: ClaimService) -> None:
    with pytest.raises(Invalid), hooked.store.write(REPO) as tx:
        hooked.audit.event(tx, REPO, "grant", ALEX, 1, "src/a.py", hooked.clock(), {})
        raise Invalid("boom")
    assert outbox(hooked) == []


def test_allowlist_filters_the_outbox(make_service: Callable[..., ClaimService]) -> None:
    service = make_service(webhook_url=URL, webhook_events="claim_released")
    claim_id = service.create_claims(req(ALEX, "src/a.py")).claims[0].id
    service.release(claim_id, ALEX)
    assert [r["event_type"] for r in outbox(service)] == ["claim_released"]


def test_queue_events_are_enqueued(hooked: ClaimService) -> None:
    held = hooked.create_claims(req(ALEX, "src/a.py")).claims[0].id
    waiting = hooked.create_claims(req(BOB, "src/a.py", wait_seconds=600)).queue
    assert waiting is not None
    hooked.release(held, ALEX)
    kinds = [r["event_type"] for r in outbox(hooked)]
    assert kinds[0] == "claim_granted" and "claim_released" in kinds and "queue_grant" in kinds
    assert kinds.count("claim_granted") == 2  # the waiter's claim is a grant too


def test_queue_cancel_is_enqueued(hooked: ClaimService) -> None:
    hooked.create_claims(req(ALEX, "src/a.py"))
    waiting = hooked.create_claims(req(BOB, "src/a.py", wait_seconds=600)).queue
    assert waiting is not None
    hooked.queue.cancel(int(waiting.id), BOB)
    assert outbox(hooked)[-1]["event_type"] == "queue_cancel"


# --------------------------------------------------------------- delivery


def test_delivery_is_signed_and_marked_delivered(hooked: ClaimService, clock: FakeClock) -> None:
    hooked.create_claims(req(ALEX, "src/a.py"))
    receiver = Receiver(200)
    sender = delivery(hooked, receiver)
    assert sender.tick() == {"delivered": 1, "retrying": 0, "exhausted": 0}
    (sent,) = receiver.requests
    row = outbox(hooked)[0]
    assert sent.content == row["payload"].encode()
    stamp = int(clock.now.timestamp())
    signed = f"{stamp}.{row['id']}.".encode() + sent.content
    expected = f"t={stamp},v1=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sent.headers["X-Coord-Signature"], expected)
    header = sent.headers["X-Coord-Signature"]
    assert webhooks.verify(SECRET, header, str(row["id"]), sent.content, now=stamp + 10)
    # A replay under another delivery id, an edited body, an old timestamp or another key fails.
    assert not webhooks.verify(SECRET, header, str(row["id"] + 1), sent.content, now=stamp)
    assert not webhooks.verify(SECRET, header, str(row["id"]), sent.content + b" ", now=stamp)
    assert not webhooks.verify(SECRET, header, str(row["id"]), sent.content, now=stamp + 301)
    assert not webhooks.verify("other", header, str(row["id"]), sent.content, now=stamp)
    assert not webhooks.verify(SECRET, None, str(row["id"]), sent.content, now=stamp)
    assert sent.headers["X-Coord-Event"] == "claim_granted"
    assert sent.headers["X-Coord-Delivery"] == str(row["id"])
    assert sent.headers["Content-Type"] == "application/json"
    assert row["state"] == "delivered" and row["attempts"] == 1 and row["last_status"] == 200
    assert row["delivered_at"] == clock.now.timestamp()
    assert sender.tick() == {"delivered": 0, "retrying": 0, "exhausted": 0}
    assert len(receiver.requests) == 1


def test_no_signature_header_without_a_secret(make_service: Callable[..., ClaimService]) -> None:
    service = make_service(webhook_url=URL)
    service.create_claims(req(ALEX, "src/a.py"))
    receiver = Receiver(204)
    assert delivery(service, receiver).tick()["delivered"] == 1
    assert "X-Coord-Signature" not in receiver.requests[0].headers


def test_failures_back_off_exponentially_then_exhaust(hooked: ClaimService, clock: FakeClock) -> None:
    hooked.create_claims(req(ALEX, "src/a.py"))
    receiver = Receiver(500, 503, 500, 200)
    sender = delivery(hooked, receiver)
    start = clock.now.timestamp()
    assert sender.tick()["retrying"] == 1
    row = outbox(hooked)[0]
    assert (row["state"], row["attempts"], row["last_status"], row["last_error"]) == ("pending", 1, 500, "HTTP 500")
    assert row["next_attempt_at"] == start + 10
    clock.advance(seconds=9)
    assert sender.tick()["retrying"] == 0  # not due yet
    clock.advance(seconds=1)
    assert sender.tick()["retrying"] == 1
    assert outbox(hooked)[0]["next_attempt_at"] == start + 10 + 20
    clock.advance(seconds=20)
    assert sender.tick() == {"delivered": 0, "retrying": 0, "exhausted": 1}
    row = outbox(hooked)[0]
    assert (row["state"], row["attempts"]) == ("exhausted", 3)
    clock.advance(hours=1)
    assert sender.tick() == {"delivered": 0, "retrying": 0, "exhausted": 0}
    assert len(receiver.requests) == 3


def test_a_retry_that_succeeds_is_delivered(hooked: ClaimService, clock: FakeClock) -> None:
    hooked.create_claims(req(ALEX, "src/a.py"))
    receiver = Receiver(500)
    sender = delivery(hooked, receiver)
    sender.tick()
    clock.advance(seconds=10)
    assert sender.tick()["delivered"] == 1
    row = outbox(hooked)[0]
    assert (row["state"], row["attempts"], row["last_error"]) == ("delivered", 2, None)
    ids = {r.headers["X-Coord-Delivery"] for r in receiver.requests}
    assert len(ids) == 1  # the same delivery id on every attempt


def test_network_errors_are_recorded_without_the_url_or_secret(
    hooked: ClaimService, caplog: pytest.LogCaptureFixture
) -> None:
    hooked.create_claims(req(ALEX, "src/a.py"))

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {URL} with {SECRET}", request=request)

    assert delivery(hooked, httpx.MockTransport(refuse)).tick()["retrying"] == 1
    row = outbox(hooked)[0]
    assert row["last_status"] is None and row["last_error"].startswith("ConnectError")
    for text in (row["last_error"], caplog.text):
        assert "do-not-log" not in text and SECRET not in text


def test_two_senders_racing_deliver_each_row_once(
    make_service: Callable[..., ClaimService], hooked: ClaimService
) -> None:
    for i in range(30):
        hooked.create_claims(req(ALEX, f"src/f{i}.py"))
    # A second service on the same database, as another process or replica would be.
    other = make_service(webhook_url=URL, webhook_secret=SECRET)
    receiver = Receiver()
    senders = [delivery(hooked, receiver), delivery(other, receiver)]
    barrier = threading.Barrier(2)

    def run(sender: webhooks.WebhookDelivery) -> None:
        barrier.wait()
        for _ in range(3):
            sender.tick()

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    ids = [r.headers["X-Coord-Delivery"] for r in receiver.requests]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert {r["state"] for r in outbox(hooked)} == {"delivered"}


def test_a_lapsed_lease_is_sent_again(hooked: ClaimService, clock: FakeClock) -> None:
    """A sender that died mid-send leaves the row to be delivered again: at least once."""
    hooked.create_claims(req(ALEX, "src/a.py"))
    receiver = Receiver()
    sender = delivery(hooked, receiver)
    claimed = sender._claim_due()
    assert len(claimed) == 1
    assert sender.tick()["delivered"] == 0  # leased
    clock.advance(seconds=sender.lease_sec)
    assert sender.tick()["delivered"] == 1
    # The late outcome of the dead sender changes nothing.
    row, lease = claimed[0]
    assert sender._record(row, lease, (500, "HTTP 500")) == "retrying"
    assert outbox(hooked)[0]["state"] == "delivered"


# ---------------------------------------------------------------- metrics


def test_delivery_counts_per_event_type(hooked: ClaimService, clock: FakeClock) -> None:
    first = hooked.create_claims(req(ALEX, "src/a.py")).claims[0].id
    hooked.release(first, ALEX)
    hooked.create_claims(req(ALEX, "src/b.py"))
    delivery(hooked, Receiver(200, 500, 200)).tick()  # grant, release, grant
    counts = webhooks.delivery_counts(hooked.store, hooked.clock, True, 24).as_json()
    assert counts["events"] == {
        "claim_granted": {"delivered": 2, "pending": 0, "exhausted": 0},
        "claim_released": {"delivered": 0, "pending": 1, "exhausted": 0},
    }
    assert counts["totals"] == {"delivered": 2, "pending": 1, "exhausted": 0}
    clock.advance(hours=25)
    assert webhooks.delivery_counts(hooked.store, hooked.clock, True, 24).as_json()["events"] == {}
    with pytest.raises(Invalid):
        webhooks.delivery_counts(hooked.store, hooked.clock, True, 0)
