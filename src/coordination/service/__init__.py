"""The service layer: coord's use cases, the only thing the front doors call.

`Coordinator` (built once per app) joins the pure engine (`coordination.core`)
with a store. Each module is one concept:

- `uow`: `RepoWrite`, the unit of work of every change to a repo's claims;
- `claims`, `grants`, `checks`: claim, release, extend, read; grant and end rows; check and verify;
- `queue` (with `queue_entries`, `presence`, `tickets`, `wait_graph`): the claim queue, waits in
  slices resumed by ticket, and the deadlock check before a wait is queued;
- `requests` (with `request_answers`, `request_effects`): release requests;
- `ownership`, `rules`: owners.yaml upload, promotion, auto-promote and auto-demote;
- `sessions`, `sweep`, `drift`, `readiness`, `reports`, `audit`, `books`, `gate`.
- `records`, `queue_records`, `types`: what the use cases take and give back (frozen records).

`ClaimService` is the historical name of `Coordinator`.
"""

from __future__ import annotations

from coordination.service.audit import AuditEvent
from coordination.service.audit_records import AuditEntry
from coordination.service.coordinator import Coordinator
from coordination.service.gate import EditRequest
from coordination.service.presence import Presence
from coordination.service.request_answers import ReleaseAnswer, ReleaseAsk
from coordination.service.types import ClaimRequest, ClaimResult, utcnow
from coordination.service.uow import RepoWrite

ClaimService = Coordinator

__all__ = [
    "AuditEntry",
    "AuditEvent",
    "ClaimRequest",
    "ClaimResult",
    "ClaimService",
    "Coordinator",
    "EditRequest",
    "Presence",
    "ReleaseAnswer",
    "ReleaseAsk",
    "RepoWrite",
    "utcnow",
]
