"""The `Coordinator`: the one object the front doors (HTTP routes, `/mcp`, the CLI's server
commands) call. Built once in the app's lifespan; it wires the use-case modules
together and exposes their public methods, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from coordination.config import Settings
from coordination.core.files import FileSet
from coordination.service.audit import Audit
from coordination.service.audit_records import AuditEntry
from coordination.service.books import Books
from coordination.service.checks import Checks
from coordination.service.claims import Claims
from coordination.service.context import ServiceContext
from coordination.service.drift import Drift
from coordination.service.gate import EditGate
from coordination.service.grants import Grants
from coordination.service.ownership import Owners
from coordination.service.ownership_records import OwnershipDocument, Promotion
from coordination.service.presence import Presence
from coordination.service.queue import ClaimQueue
from coordination.service.readiness import Readiness
from coordination.service.records import Claim, ConflictCheck, ExtendedClaim, Heartbeat, Verification
from coordination.service.report_records import AutoResolutionReport, HotspotReport, WebhookDeliveries
from coordination.service.reports import Reports
from coordination.service.requests import Negotiation
from coordination.service.sessions import Sessions
from coordination.service.sweep import Sweep
from coordination.service.types import ClaimRequest, ClaimResult, Clock
from coordination.store import Store

__all__ = ["Coordinator"]


class Coordinator:
    """Use cases of coord: claim, release, extend, check, verify, sweep, queue, release requests,
    ownership, reports, the edit gate, readiness."""

    def __init__(self, settings: Settings, store: Store, clock: Clock | None = None) -> None:
        ctx = self.ctx = ServiceContext(settings, store, clock)
        self.settings = settings
        self.store = store
        self.clock: Clock = ctx.clock
        self.limits = ctx.limits
        self.repo_files = ctx.repo_files
        self.books: Books = ctx.books
        self.audit: Audit = ctx.audit
        grants = Grants(ctx)
        self.sessions = Sessions(ctx, grants)
        self.drift = Drift(ctx)
        self.queue = ClaimQueue(ctx, grants, create=self.create_claims)
        self.claims = Claims(ctx, grants, self.sessions, self.queue, self.drift)
        self.checks = Checks(ctx, self.drift)
        self.owners = Owners(ctx)
        self.requests = Negotiation(ctx, grants)
        self.reports = Reports(ctx)
        self.gate = EditGate(ctx, self.claims, self.checks, self.sessions)
        self._sweep = Sweep(ctx, grants, self.queue, self.drift)
        self._readiness = Readiness(ctx, self.drift, self._sweep.forget_silent_sessions)
        # Freed scope goes to the claim queue's waiters in the transaction that freed it;
        # refused file claims may promote the file to shared_files in the one that refused them.
        ctx.hooks.scope_freed.append(self.queue.promote)
        ctx.hooks.conflicts_recorded.append(self.owners.on_conflicts)

    # ---------------------------------------------------------------- claims

    def claim(self, req: ClaimRequest, presence: Presence | None = None) -> ClaimResult:
        """`POST /claims`: answer at once, or with `wait_seconds` queue and wait for the grant."""
        return self.claims.claim(req, presence)

    def create_claims(self, req: ClaimRequest) -> ClaimResult:
        return self.claims.create_claims(req)

    def release(self, claim_id: int, engineer: str, force: bool = False, if_fence: int | None = None) -> list[int]:
        return self.claims.release(claim_id, engineer, force, if_fence)

    def release_many(
        self,
        repo_id: str,
        engineer: str,
        session_id: str | None = None,
        pattern: str | None = None,
        claim_ids: Sequence[int] | None = None,
        force: bool = False,
    ) -> list[int]:
        return self.claims.release_many(repo_id, engineer, session_id, pattern, claim_ids, force)

    def extend(
        self, claim_id: int, engineer: str, ttl_hours: float | None, force: bool = False, if_fence: int | None = None
    ) -> ExtendedClaim:
        return self.claims.extend(claim_id, engineer, ttl_hours, force, if_fence)

    def get_claim(self, claim_id: int) -> Claim:
        return self.claims.get_claim(claim_id)

    def list_claims(
        self,
        repo_id: str | None = None,
        engineer: str | None = None,
        session_id: str | None = None,
        pattern: str | None = None,
        active: bool = True,
        limit: int = 1000,
        before: int | None = None,
    ) -> list[Claim]:
        return self.claims.list_claims(repo_id, engineer, session_id, pattern, active, limit, before)

    def check_conflicts(
        self, repo_id: str, engineer: str | None, paths: Sequence[str], symbol_specs: Sequence[str] = ()
    ) -> ConflictCheck:
        return self.checks.check_conflicts(repo_id, engineer, paths, symbol_specs)

    def verify(self, repo_id: str, engineer: str, paths: Sequence[str]) -> Verification:
        return self.checks.verify(repo_id, engineer, paths)

    # -------------------------------------------------------------- sessions

    def heartbeat(self, session_id: str, engineer: str | None, repo_id: str | None) -> Heartbeat:
        return self.sessions.heartbeat(session_id, engineer, repo_id)

    def activity_due(self, session_id: str) -> bool:
        """Whether `note_activity(session_id)` would write (memory only: no I/O)."""
        return self.sessions.activity_due(session_id)

    def note_activity(self, session_id: str, engineer: str | None = None) -> None:
        self.sessions.note_activity(session_id, engineer)

    # ------------------------------------------------------ sweep and drift

    def sweep(self) -> dict[str, int]:
        return self._sweep.sweep()

    def check_drift(self, files: FileSet | None) -> None:
        self.drift.check_drift(files)

    # ------------------------------------------------------------- ownership

    def get_ownership(self, repo_id: str) -> str:
        return self.owners.get_ownership(repo_id)

    def ownership(self, repo_id: str) -> OwnershipDocument:
        """The stored owners.yaml and its rules (`GET /config/ownership`)."""
        return self.owners.read(repo_id)

    def put_ownership(self, repo_id: str, text: str, replace_managed: bool = False) -> OwnershipDocument:
        """Store an uploaded owners.yaml, keeping coord-written entries unless
        `replace_managed`: the stored text, its rules and what was kept or dropped."""
        return self.owners.upload(repo_id, text, replace_managed)

    def promote_hotspot(self, repo_id: str, action: str, pattern: str) -> Promotion:
        return self.owners.promote(repo_id, action, pattern)

    def auto_demote(self) -> dict[str, int]:
        return self.owners.auto_demote()

    # --------------------------------------------------------------- reports

    def hotspots(self, days: int = 30, repo_id: str | None = None) -> HotspotReport:
        return self.reports.hotspots(days, repo_id)

    def auto_resolutions(self, days: int = 30, repo_id: str | None = None) -> AutoResolutionReport:
        return self.reports.auto_resolutions(days, repo_id)

    def webhook_deliveries(self, hours: int = 24) -> WebhookDeliveries:
        return self.reports.webhook_deliveries(hours)

    def events(self, repo_id: str | None = None, limit: int = 1000, after: int | None = None) -> list[AuditEntry]:
        return self.audit.events(repo_id, limit, after)

    def last_event_id(self) -> int:
        return self.audit.last_event_id()

    # ------------------------------------------------------------- readiness

    def warm(self) -> dict[str, int] | None:
        return self._readiness.warm()

    def readiness_checks(self) -> list[tuple[str, Callable[[], str | None]]]:
        return self._readiness.readiness_checks()

    def ready(self) -> tuple[bool, str]:
        return self._readiness.ready()
