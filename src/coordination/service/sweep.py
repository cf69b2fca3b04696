"""The sweep: end claims whose TTL ran out or whose session went silent, and overdue queue entries."""

from __future__ import annotations

from coordination import records
from coordination.service.context import ServiceContext
from coordination.service.drift import Drift
from coordination.service.grants import Grants
from coordination.service.queue import ClaimQueue
from coordination.service.uow import RepoWrite
from coordination.store import claims as claim_rows

__all__ = ["Sweep"]


class Sweep:
    def __init__(self, ctx: ServiceContext, grants: Grants, queue: ClaimQueue, drift: Drift) -> None:
        self.ctx = ctx
        self.grants = grants
        self.queue = queue
        self.drift = drift

    def sweep(self) -> dict[str, int]:
        """Mark claims whose TTL ran out, or whose session went silent, as ended.

        Each repo's time is read under its write lock, as the claim path does: what
        the sweep ends and grants carries the time it really happened.
        """
        ctx = self.ctx
        self.drift.check_drift(ctx.files())
        idle_timeout = ctx.settings.idle_timeout_sec
        idle = idle_timeout > 0
        with ctx.store.read() as tx:
            stamp = records.to_epoch(ctx.now(tx) - ctx.skew_margin)
            repos = set(claim_rows.repos_with_expired(tx, stamp))
            if idle:
                repos.update(claim_rows.repos_with_idle(tx, stamp - idle_timeout))
        counts = {"expired": 0, "idle_expired": 0}
        queue_expired_before = self.queue.expired_count()
        for repo_id in sorted(repos):
            with RepoWrite(ctx, repo_id) as w:
                # A claim ends once it stops counting for others: the skew margin applies.
                stamp = records.to_epoch(w.now - ctx.skew_margin)
                rows = claim_rows.expired(w.tx, stamp, repo_id)
                self.grants.end(w.tx, rows, "expired", "expire", w.seq, w.now)
                counts["expired"] += len(rows)
                if idle:
                    rows = claim_rows.idle(w.tx, stamp - idle_timeout, repo_id)
                    self.grants.end(w.tx, rows, "idle_expired", "idle-expire", w.seq, w.now)
                    counts["idle_expired"] += len(rows)
        # Waiting entries whose waiter is gone (their wait is over) end too.
        self.queue.expire_overdue()
        counts["queue_expired"] = self.queue.expired_count() - queue_expired_before
        return counts
