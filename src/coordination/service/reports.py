"""Reports from the audit trail and the outbox: hotspot ranking, auto-resolutions, webhook deliveries.

Counting happens in Python from plain rows, so the numbers are the same on
SQLite and PostgreSQL whatever their date functions would say.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from coordination import records, webhooks
from coordination.core import promotion as rules
from coordination.core.limits import MAX_DAYS
from coordination.errors import Invalid
from coordination.service.context import ServiceContext, check_identity
from coordination.service.report_records import (
    AutoResolutionReport,
    DayCount,
    HotspotReport,
    PromotionThresholds,
    WebhookDeliveries,
)
from coordination.store import audit as audit_rows

__all__ = ["AUTO_EVENTS", "MAX_DAYS", "Reports"]

AUTO_EVENTS = {"auto-coexist": "auto_coexist", "auto-narrow": "auto_narrow"}


class Reports:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def hotspots(self, days: int = 30, repo_id: str | None = None) -> HotspotReport:
        """Per repo, the requested patterns refused most often in the last `days` UTC days
        (today included), with a suggested action; see `coordination.core.promotion`."""
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise Invalid(f"days must be a whole number from 1 to {MAX_DAYS}, not {days!r}")
        check_identity(None, repo_id, None)
        now = self.ctx.clock().astimezone(UTC)
        first = now.date() - timedelta(days=days - 1)
        since = datetime(first.year, first.month, first.day, tzinfo=UTC)
        with self.ctx.store.read() as tx:
            rows = audit_rows.events_since(tx, ["conflict"], records.to_epoch(since), repo_id, with_pattern=True)
        by_repo: dict[str, list[rules.Attempt]] = {}
        for row in rows:
            at = datetime.fromtimestamp(row.created_at, UTC)
            by_repo.setdefault(row.repo_id, []).append(rules.Attempt(str(row.pattern), row.engineer, at))
        repos: dict[str, tuple[rules.Hotspot, ...]] = {repo_id: ()} if repo_id else {}
        for repo, attempts in sorted(by_repo.items()):
            ranked = rules.rank(attempts, since, now)
            if ranked or repo_id:
                # the last attempt through the stored epoch, as the audit trail shows it
                repos[repo] = tuple(
                    replace(h, last_attempt_at=datetime.fromtimestamp(records.to_epoch(h.last_attempt_at), UTC))
                    for h in ranked
                )
        thresholds = PromotionThresholds(
            shared_file=rules.SUGGEST_MIN_ATTEMPTS, split=rules.SUGGEST_MIN_ATTEMPTS, monitor=rules.MONITOR_MIN_ATTEMPTS
        )
        return HotspotReport(days, first.isoformat(), now.date().isoformat(), thresholds, repos)

    def auto_resolutions(self, days: int = 30, repo_id: str | None = None) -> AutoResolutionReport:
        """Per repo, one entry per UTC day (oldest first, zero days included) of the
        `auto-coexist` and `auto-narrow` events of the last `days` days, today included.

        Repos listed: every repo with any audit event in the window (so a repo whose
        claims never auto-resolved shows a row of zeros), or only `repo_id` if given.
        """
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise Invalid(f"days must be a whole number from 1 to {MAX_DAYS}, not {days!r}")
        check_identity(None, repo_id, None)
        today = self.ctx.clock().astimezone(UTC).date()
        first = today - timedelta(days=days - 1)
        since = records.to_epoch(datetime(first.year, first.month, first.day, tzinfo=UTC))
        with self.ctx.store.read() as tx:
            rows = audit_rows.events_since(tx, list(AUTO_EVENTS), since, repo_id)
            repos = {repo_id} if repo_id else audit_rows.repos_with_events_since(tx, since)
        counts: Counter[tuple[str, str, str]] = Counter()
        for row in rows:
            day = datetime.fromtimestamp(row.created_at, UTC).date()
            if day <= today:
                counts[(row.repo_id, day.isoformat(), AUTO_EVENTS[row.event_type])] += 1
        repos |= {repo for repo, _, _ in counts}
        dates = [(first + timedelta(days=i)).isoformat() for i in range(days)]
        per_repo = {
            repo: tuple(DayCount(d, counts[(repo, d, "auto_coexist")], counts[(repo, d, "auto_narrow")]) for d in dates)
            for repo in sorted(repos)
        }
        return AutoResolutionReport(days, first.isoformat(), today.isoformat(), per_repo)

    def webhook_deliveries(self, hours: int = 24) -> WebhookDeliveries:
        """Per webhook event type, outbox rows created in the last `hours` hours by state."""
        enabled = bool(self.ctx.settings.webhook_url)
        return webhooks.delivery_counts(self.ctx.store, self.ctx.clock, enabled, hours)
