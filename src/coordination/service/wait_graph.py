"""Deadlock check for a request about to join the claim queue (see `coordination.core.deadlock`).

Runs inside the write transaction that would queue the waiter, under the repo's
write serialisation (the per-repo advisory lock on PostgreSQL, the database
write lock on SQLite), so the graph it reads from the store is the one the new
entry would join: two replicas cannot each queue one half of a cycle. The waits
already in line are re-decided against the live claims (as the queue's
`ClaimQueue.promote` does), not read from the entries' last recorded blockers, so a claim
that started or stopped counting since is seen as it is now.

Only the repo's own queue is in the graph: claims of different repos never
conflict, and a cycle that spans repos is not detected.
"""

from __future__ import annotations

from datetime import datetime

from coordination import records
from coordination.core import deadlock
from coordination.core.book import ClaimBook
from coordination.core.decisions import Context, Decision, decide
from coordination.core.files import overlap_function
from coordination.core.globs import PatternTooComplex
from coordination.core.model import Outcome
from coordination.errors import Deadlock
from coordination.service.context import ServiceContext
from coordination.service.grants import conflict_error
from coordination.service.queue_entries import request_of
from coordination.service.rules import as_stored_type, rules_of
from coordination.service.types import ClaimRequest
from coordination.store import Tx
from coordination.store import queue as queue_rows
from coordination.store.rows import QueueRow

__all__ = ["refusal"]


def refusal(
    ctx: ServiceContext, tx: Tx, req: ClaimRequest, blocked: list[Decision], book: ClaimBook, now: datetime
) -> Deadlock | None:
    """The 409 to answer instead of queueing `req`, when its wait would close a cycle; else None.

    `blocked` are the request's conflicting decisions against `book` (the repo's
    claims as of this transaction). A refusal is recorded as a `deadlock` event.
    """
    new = [
        deadlock.Wait(req.engineer, c.engineer, c.id, c.pattern, d.item.pattern) for d in blocked for c in d.blocking
    ]
    stamp = records.to_epoch(now)
    # Entries whose wait is over or whose waiter is gone are no waits any more (the next promote ends them).
    rows = sorted(
        (
            row
            for row in queue_rows.waiting_of_repo(tx, req.repo_id)
            if row.deadline > stamp and row.lease_until is not None and row.lease_until > stamp
        ),
        key=lambda row: int(row.id),
    )
    holders = {w.holder for w in new}
    if not any(row.engineer in holders for row in rows):
        return None  # nobody we would wait for is waiting: no cycle can close
    files = ctx.files()
    scope = Context(overlap_function(files, strict=False), ctx.liveness(tx, now))
    rules = rules_of(tx, req.repo_id)
    by_engineer: dict[str, list[QueueRow]] = {}
    for row in rows:
        by_engineer.setdefault(row.engineer, []).append(row)

    def waits_of(engineer: str) -> list[deadlock.Wait]:
        """The engineer's waits now: each of their entries decided again against the live claims."""
        waits: list[deadlock.Wait] = []
        for row in by_engineer.get(engineer, []):
            entry = request_of(row)
            items = [as_stored_type(i, rules) for i in entry.items]
            try:
                decisions = decide(entry.engineer, items, book, scope, files, ctx.limits)
            except PatternTooComplex:
                continue
            waits += [
                deadlock.Wait(entry.engineer, c.engineer, c.id, c.pattern, d.item.pattern, int(row.id))
                for d in decisions
                if d.outcome is Outcome.CONFLICT
                for c in d.blocking
            ]
        return waits

    cycle = deadlock.find_cycle_lazy(req.engineer, new, waits_of)
    if cycle is None:
        return None
    detail, suggestion = deadlock.explain(cycle)
    described = deadlock.describe(cycle)
    ctx.audit.event(
        tx,
        req.repo_id,
        "deadlock",
        req.engineer,
        None,
        ", ".join(d.item.pattern for d in blocked),
        now,
        {"cycle": described},
    )
    conflicts = conflict_error(blocked, rules, now).extra["conflicts"]
    return Deadlock(
        detail,
        cycle=described,
        engineers=deadlock.engineers(cycle),
        conflicts=conflicts,
        suggestion=suggestion,
    )
