"""Webhooks: an outbox written with the audit trail, and a loop that POSTs it.

`enqueue` runs inside the service's write transaction, beside the audit row,
so an event is delivered if and only if the change it describes committed.

`WebhookDelivery.tick` is one pass of the delivery loop. It first *claims* the
due rows in a short write transaction, pushing their `next_attempt_at` one
lease ahead (PostgreSQL also skips rows another replica has locked; SQLite has
one writer for the whole file), so no other replica or process picks them up
while they are being sent. It then POSTs each row outside any transaction and
records the outcome. A process that dies mid-send leaves its rows to be sent
again when the lease runs out: delivery is at least once, and receivers dedupe
on `X-Coord-Delivery` (the outbox row id, the same on every attempt). The
signature covers the attempt's timestamp, the delivery id and the body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from coordination import records
from coordination.config import Settings
from coordination.core import webhook_events
from coordination.core.limits import MAX_WEBHOOK_HOURS as MAX_HOURS
from coordination.errors import Invalid
from coordination.store import Store, Tx, outbox
from coordination.store.rows import OutboxRow

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("coordination.webhooks")

BATCH = 20
MAX_ERROR_CHARS = 500
# Delivered and exhausted rows older than this are deleted by the delivery loop.
RETENTION_SEC = 8 * 86_400.0
PAYLOAD_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


SIGNATURE_TOLERANCE_SEC = 300


def sign(secret: str, timestamp: int, delivery_id: str, body: bytes) -> str:
    """The X-Coord-Signature value: `t=<unix seconds>,v1=<hex>`.

    `v1` is the hex HMAC-SHA256, keyed with the secret, of `<t>.<delivery id>.<body bytes>`:
    a captured delivery cannot be replayed later (the receiver checks `t`) nor under
    another `X-Coord-Delivery` (the receiver dedupes on it).
    """
    return f"t={timestamp},v1={_digest(secret, timestamp, delivery_id, body)}"


def _digest(secret: str, timestamp: int, delivery_id: str, body: bytes) -> str:
    signed = f"{timestamp}.{delivery_id}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    header: str | None,
    delivery_id: str,
    body: bytes,
    now: float,
    tolerance_sec: float = SIGNATURE_TOLERANCE_SEC,
) -> bool:
    """The receiver's check (the same code as docs/webhooks.md): signed with `secret`, and recent."""
    if not header:
        return False
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    stamp = fields.get("t", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > tolerance_sec:
        return False
    expected = _digest(secret, int(stamp), delivery_id, body)
    return hmac.compare_digest(fields.get("v1", ""), expected)


def payload(
    event: str,
    audit_type: str,
    repo_id: str,
    engineer: str | None,
    claim_id: int | None,
    pattern: str | None,
    now: datetime,
    detail: dict[str, Any],
) -> str:
    return json.dumps(
        {
            "version": PAYLOAD_VERSION,
            "event": event,
            "audit_event": audit_type,
            "repo_id": repo_id,
            "engineer": engineer,
            "claim_id": claim_id,
            "pattern": pattern,
            "occurred_at": records.iso(records.to_epoch(now)),
            "detail": detail,
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def enqueue(
    tx: Tx,
    event: str,
    audit_type: str,
    repo_id: str,
    engineer: str | None,
    claim_id: int | None,
    pattern: str | None,
    now: datetime,
    detail: dict[str, Any],
) -> None:
    body = payload(event, audit_type, repo_id, engineer, claim_id, pattern, now, detail)
    outbox.insert(tx, repo_id, event, body, records.to_epoch(now))


class WebhookDelivery:
    """The delivery loop's state: settings, store, clock and one HTTP client."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Callable[[], datetime] = utcnow,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not settings.webhook_url:
            raise ValueError("webhook delivery needs COORD_WEBHOOK_URL")
        self.url = settings.webhook_url
        self.secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        self.max_attempts = settings.webhook_max_retries
        self.backoff = settings.webhook_retry_backoff_sec
        self.timeout = settings.webhook_timeout_sec
        # Long enough to send a whole batch even when every POST times out.
        self.lease_sec = BATCH * self.timeout + 30.0
        self.store = store
        self.clock = clock
        import httpx  # only a service with COORD_WEBHOOK_URL sends webhooks: not at start-up

        self.client = httpx.Client(timeout=self.timeout, transport=transport, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def tick(self) -> dict[str, int]:
        """Send the due rows once; returns how many were delivered, rescheduled and exhausted."""
        counts = {"delivered": 0, "retrying": 0, "exhausted": 0}
        for row, lease in self._claim_due():
            outcome = self._send(row)
            counts[self._record(row, lease, outcome)] += 1
        self._prune()
        return counts

    # ------------------------------------------------------------- steps

    def _claim_due(self) -> list[tuple[OutboxRow, float]]:
        now = records.to_epoch(self.clock())
        lease = now + self.lease_sec
        with self.store.write(None) as tx:
            rows = outbox.claim_due(tx, self.store.dialect, now, lease, BATCH)
        return [(r, lease) for r in rows]

    def _send(self, row: OutboxRow) -> tuple[int | None, str | None]:
        """POST one row: (status, None) on a 2xx, else (status or None, reason)."""
        body = str(row.payload).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "coord-webhooks",
            "X-Coord-Event": str(row.event_type),
            "X-Coord-Delivery": str(row.id),
        }
        if self.secret:
            # Signed at each attempt: the timestamp is when this attempt was sent.
            stamp = int(records.to_epoch(self.clock()))
            headers["X-Coord-Signature"] = sign(self.secret, stamp, str(row.id), body)
        try:
            resp = self.client.post(self.url, content=body, headers=headers)
        except Exception as exc:  # a broken URL or transport must not stop the loop
            return None, self._scrub(f"{type(exc).__name__}: {exc}")
        if 200 <= resp.status_code < 300:
            return resp.status_code, None
        return resp.status_code, f"HTTP {resp.status_code}"

    def _record(self, row: OutboxRow, lease: float, outcome: tuple[int | None, str | None]) -> str:
        status, error = outcome
        now = records.to_epoch(self.clock())
        if error is None:
            result = "delivered"
            with self.store.write(None) as tx:
                outbox.record_delivered(tx, row.id, lease, status, now)
        else:
            failure = webhook_events.after_failure(int(row.attempts), self.max_attempts, self.backoff)
            result = "exhausted" if failure.exhausted else "retrying"
            state = "exhausted" if failure.exhausted else "pending"
            with self.store.write(None) as tx:
                outbox.record_failed(tx, row.id, lease, state, failure.attempts, now + failure.delay_sec, status, error)
            log.warning(
                "webhook delivery %s (%s) failed, attempt %s: %s%s",
                row.id,
                row.event_type,
                failure.attempts,
                error,
                "; giving up" if failure.exhausted else f"; retry in {failure.delay_sec:g}s",
            )
        return result

    def _prune(self) -> None:
        cutoff = records.to_epoch(self.clock()) - RETENTION_SEC
        with self.store.write(None) as tx:
            outbox.prune(tx, cutoff)

    def _scrub(self, text: str) -> str:
        """An error message fit to store and log: never the receiver URL (it may hold a token), never the secret."""
        text = text.replace(self.url, "<webhook url>")
        if self.secret:
            text = text.replace(self.secret, "<secret>")
        return text[:MAX_ERROR_CHARS]


@dataclass(frozen=True, slots=True)
class EventTypeCounts:
    """Outbox rows of one webhook event (or all of them) by delivery state."""

    delivered: int
    pending: int
    exhausted: int

    def as_json(self) -> dict[str, int]:
        return {"delivered": self.delivered, "pending": self.pending, "exhausted": self.exhausted}


@dataclass(frozen=True, slots=True)
class WebhookDeliveries:
    """`GET /metrics/webhooks`: outbox rows created since `since`, per webhook event (sorted) and in total."""

    enabled: bool
    hours: int
    since: datetime
    events: dict[str, EventTypeCounts]
    totals: EventTypeCounts

    def as_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "hours": self.hours,
            "since": self.since.isoformat().replace("+00:00", "Z"),
            "events": {name: counts.as_json() for name, counts in self.events.items()},
            "totals": self.totals.as_json(),
        }


def delivery_counts(store: Store, clock: Callable[[], datetime], enabled: bool, hours: int = 24) -> WebhookDeliveries:
    """Per webhook event type, outbox rows created in the last `hours` hours by state."""
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        raise Invalid(f"hours must be a whole number from 1 to {MAX_HOURS}, not {hours!r}")
    since = records.to_epoch(clock() - timedelta(hours=hours))
    with store.read() as tx:
        rows = outbox.counts_since(tx, since)
    states = ("delivered", "pending", "exhausted")
    events: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = events.setdefault(str(row.event_type), dict.fromkeys(states, 0))
        if row.state in counts:
            counts[str(row.state)] += int(row.n)
    totals = {state: sum(c[state] for c in events.values()) for state in states}
    return WebhookDeliveries(
        enabled=enabled,
        hours=hours,
        since=datetime.fromtimestamp(since, UTC),  # the stored epoch the window starts at
        events={name: EventTypeCounts(**counts) for name, counts in sorted(events.items())},
        totals=EventTypeCounts(**totals),
    )
