"""The claim queue: a blocked requester waits in line instead of retrying.

`POST /claims` with `wait_seconds > 0` that would conflict adds a `claim_queue`
entry (in the same transaction that found the conflict) and the HTTP call
long-polls. Granting is the service's job, never the waiter's alone: `promote`
runs inside the repo's write transaction after every change that ends claims
(release, bulk release, expiry sweep, a release request answered `release`),
and from the waiters' own polls, so a blocking claim that merely ran out of
time (which writes nothing until the sweep) still lets the queue move.

`promote` walks the repo's waiting entries in queue order (see
`coordination.core.queue`: priority DESC with a one-level age boost, then
position ASC) and grants every entry whose items no longer conflict with live
claims, counting those ended and granted earlier in the same transaction. An
entry that still conflicts does not hold back later entries whose items are
free: the queue grants "the head of the queue that no longer conflicts", so a
waiter for one file never waits behind a waiter for another.

Waking: a waiter in this process sleeps on a `threading.Event` set by the
transaction that granted, cancelled or expired its entry (it then takes the
repo's cache lock once, which the writer holds until after its commit, and
reads the committed row). The same transaction announces the change through the
store (`queue_rows.announce`: PostgreSQL's NOTIFY, delivered at commit), and every
process listens (`listen`), so a waiter whose grant happened in another replica
wakes at once too. As a fallback (a lost notification, SQLite's processes, a
blocker whose time merely ran out) every waiter re-reads its row every
`COORD_QUEUE_POLL_SEC` (`POLL_SEC` by default), and the waiters of a repo run
`promote` themselves at most that often per process.

Liveness: an entry is only ever granted while a waiter stands behind it. The
waiting call holds a lease on its entry (`lease_until`), renewed every third of
`COORD_QUEUE_WAITER_LEASE_SEC` by its process; `promote`, in whichever replica it
runs, ends a waiting entry whose lease has run out as `abandoned` instead of
granting it (its server died or was killed). A waiter whose caller went away
(the HTTP connection closed: `Presence.leave`) ends its own entry at once, and
gives back a grant that raced with the departure, since nobody will receive it.
A server that is stopping (`stop`) ends its waiters' entries and answers them
503: they can retry elsewhere, and after a restart nothing is granted to them.

Waiting occupies one worker thread of the server for up to `MAX_WAIT_SECONDS`;
a process serves at most `COORD_QUEUE_MAX_WAITERS` waiters at once (more are
answered 503) and sizes its thread pool above that so releases still run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from coordination import records
from coordination.core import queue as order
from coordination.core.book import ClaimBook
from coordination.core.decisions import Context, decide
from coordination.core.files import overlap_function
from coordination.core.model import Outcome, Urgency
from coordination.errors import Conflict, Forbidden, Invalid, Unavailable
from coordination.service import tickets
from coordination.service.context import ServiceContext, check_identity
from coordination.service.grants import Grants, claims_by_id, conflict_error
from coordination.service.presence import Presence
from coordination.service.queue_entries import (
    MAX_WAIT_SECONDS,
    STATES,
    URGENCIES,
    check_wait,
    entry,
    places,
    present,
    queue_row,
    request_of,
)
from coordination.service.queue_records import QueueEntry, QueueGrant, QueueJoin
from coordination.service.records import claim_from_row, decision_from_json
from coordination.service.rules import as_stored_type, rules_of
from coordination.service.types import ClaimRequest, ClaimResult
from coordination.service.uow import PlainWrite, RepoWrite
from coordination.service.waiters import Waiters
from coordination.store import Tx
from coordination.store import queue as queue_rows
from coordination.store.rows import QueueRow

__all__ = ["LAPSED", "MAX_WAIT_SECONDS", "POLL_SEC", "STATES", "STOPPING", "URGENCIES", "ClaimQueue", "check_wait"]

POLL_SEC = 0.5  # the default of COORD_QUEUE_POLL_SEC
STOPPING = "the server is shutting down: the wait ended and nothing was claimed; retry (another replica, or this one)"
LAPSED = "no live waiter: the waiting call's lease ran out (its server stopped or died)"


class ClaimQueue:
    """Queue use cases: join, promote, wait, cancel, read (one instance per `Coordinator`)."""

    def __init__(self, ctx: ServiceContext, grants: Grants, create: Callable[[ClaimRequest], ClaimResult]) -> None:
        self.ctx = ctx
        self.grants = grants
        # `POST /claims` without a wait (the claim use case), which queues the request if it conflicts.
        self.create = create
        self._last_promote: dict[str, float] = {}
        self._lease = float(ctx.settings.queue_waiter_lease_sec)
        self._poll = float(ctx.settings.queue_poll_sec)
        # A waiter wakes at least this often: to poll, and to renew its lease in time.
        self._tick = min(self._poll, self._lease / 3)
        self.waiters = Waiters(ctx.settings.queue_max_waiters, self._lease)

    # ----------------------------------------------------------------- join

    def enqueue(self, tx: Tx, req: ClaimRequest, blocking: list[int], seq: int, now: datetime) -> QueueJoin:
        """Add a waiting entry; called by `create_claims` inside the transaction that found the conflict."""
        stamp = records.to_epoch(now)
        request = {
            "items": [{"type": i.type.value, "pattern": i.pattern, "symbols": list(i.symbols)} for i in req.items],
            "ttl_hours": req.ttl_hours,
            "branch": req.branch,
            "description": req.description,
        }
        urgency = Urgency(req.urgency)
        queue_id = queue_rows.insert(
            tx,
            req.repo_id,
            req.engineer,
            req.session_id,
            json.dumps(request),
            urgency.value,
            urgency.rank,
            seq,
            stamp,
            stamp + req.wait_seconds,
            json.dumps(sorted(set(blocking))),
            stamp + self._lease,
        )
        self.ctx.audit.event(
            tx,
            req.repo_id,
            "queue_wait",
            req.engineer,
            None,
            ", ".join(i.pattern for i in req.items),
            now,
            {"queue_id": queue_id, "urgency": urgency.value, "wait_seconds": req.wait_seconds, "blocking": blocking},
        )
        return QueueJoin(queue_id, seq)

    # -------------------------------------------------------------- promote

    def promote(self, tx: Tx, repo_id: str, seq: int, now: datetime) -> list[int]:
        """Grant, in queue order, every waiting entry that no longer conflicts; expire overdue ones.

        Runs inside the repo's write transaction whose sequence number is `seq`.
        The cached book holds the claims as of `seq - 1`; rows this transaction
        already wrote (ended or granted claims) carry `seq` or more and are laid
        over a copy of it, as is every grant this pass makes.
        Returns the ids of the entries granted.
        """
        rows = queue_rows.waiting_of_repo(tx, repo_id)
        if not rows:
            return []
        ctx = self.ctx
        stamp = records.to_epoch(now)
        book = ClaimBook(ctx.books.cache(repo_id).book)
        ctx.books.overlay(tx, repo_id, book, seq)
        files = ctx.files()
        scope = Context(overlap_function(files, strict=False), ctx.liveness(tx, now))
        rules = rules_of(tx, repo_id)
        by_id = {r.id: r for r in rows}
        granted: list[int] = []
        for waiting in order.ordered((entry(r) for r in rows), now, ctx.settings.queue_age_boost_seconds):
            row = by_id[waiting.id]
            if row.deadline <= stamp:
                self._end_entry(tx, row, "expired", "queue_expire", now, {"reason": "the wait ended"})
                continue
            if row.lease_until is None or row.lease_until <= stamp:
                self._end_entry(tx, row, "abandoned", "queue_abandon", now, {"reason": LAPSED})
                continue
            req = request_of(row)
            items = [as_stored_type(i, rules) for i in req.items]
            decisions = decide(req.engineer, items, book, scope, files, ctx.limits)
            if any(d.outcome is Outcome.INVALID for d in decisions):
                continue  # e.g. the repo's files changed; the entry waits out its deadline
            blocking = sorted({c.id for d in decisions for c in d.blocking})
            if blocking:
                if blocking != json.loads(row.blocking_claims):
                    queue_rows.set_blocking(tx, row.id, json.dumps(blocking))
                continue
            fence = ctx.books.bump(tx, repo_id)  # strictly above every claim this transaction ended
            result = self.grants.grant(tx, req, decisions, fence, now, take_notices=False)
            ctx.books.overlay(tx, repo_id, book, fence)
            ids = [c.id for c in result.claims]
            queue_rows.grant(tx, row.id, stamp, json.dumps(ids), json.dumps([d.as_json() for d in result.decisions]))
            self.ctx.audit.event(
                tx,
                repo_id,
                "queue_grant",
                req.engineer,
                ids[0] if ids else None,
                ", ".join(i.pattern for i in req.items),
                now,
                {
                    "queue_id": row.id,
                    "claims": ids,
                    "waited_sec": round(stamp - row.created_at, 3),
                    "urgency": row.urgency,
                },
            )
            self._changed(tx, row.id)
            granted.append(row.id)
        return granted

    def promote_repo(self, repo_id: str) -> list[int]:
        """Run `promote` in a write transaction of its own (waiters' polls, the sweep)."""
        with RepoWrite(self.ctx, repo_id) as w:
            return self.promote(w.tx, repo_id, w.seq, w.now)

    def expire_overdue(self) -> None:
        """Sweep: end waiting entries whose wait is over or whose waiter is gone (lease lapsed)."""
        with self.ctx.store.read() as tx:
            stamp = records.to_epoch(self.ctx.now(tx))
            repos = queue_rows.repos_overdue(tx, stamp)
        for repo_id in repos:
            self.promote_repo(repo_id)

    def expired_count(self) -> int:
        with self.ctx.store.read() as tx:
            return queue_rows.ended_count(tx)

    # ----------------------------------------------------------------- wait

    def claim_and_wait(self, req: ClaimRequest, presence: Presence | None = None) -> ClaimResult:
        """`POST /claims` with a wait: grant now, or queue and block until granted, cancelled or over."""
        with self.waiters.slot(retry="retry later or without wait_seconds"):
            result = self.create(req)
            if result.queue is None:
                return result
            cap = self.ctx.settings.max_call_wait_sec
            return self.wait(result.queue.id, req.wait_seconds, presence, cap=cap)

    def wait(
        self, queue_id: int, wait_seconds: float, presence: Presence | None = None, cap: float | None = None
    ) -> ClaimResult:
        """Block until the entry leaves `waiting` or `wait_seconds` pass; then the grant or a Conflict.

        While it waits it renews the entry's lease. If `presence` says the caller
        left, or the server is stopping, the entry ends (`abandoned`) instead.
        A call blocks at most `cap` seconds: when that comes first the entry keeps
        waiting and the answer carries its ticket (`tickets.still_waiting`).
        """
        event = self.waiters.register(queue_id)
        if presence is not None:
            presence.on_leave(event.set)
        try:
            row = self._read(queue_id)
            repo_id = row.repo_id
            cache = self.ctx.books.cache(repo_id)
            end = time.monotonic() + min(wait_seconds, MAX_WAIT_SECONDS)
            stop = end if cap is None else min(end, time.monotonic() + cap)
            while row.state == "waiting":
                if presence is not None and presence.gone:
                    return self._leave(queue_id, presence.reason, caller_gone=True)
                if self.waiters.stopping is not None:
                    return self._leave(queue_id, self.waiters.stopping, caller_gone=False)
                left = stop - time.monotonic()
                if left <= 0:
                    if stop < end:
                        return tickets.still_waiting(self, queue_id)
                    row = self._finish(queue_id)
                    break
                if event.wait(min(self._tick, left)):
                    event.clear()
                    # The writer that woke us holds this lock until its commit is done.
                    with cache.lock:
                        pass
                else:
                    self._throttled_promote(repo_id)
                self._keep_alive()
                row = self._read(queue_id)
            if presence is not None and presence.gone and row.state == "granted":
                return self._leave(queue_id, presence.reason, caller_gone=True)
            return self._outcome(row)
        finally:
            self.waiters.forget(queue_id)

    def stop(self, reason: str = STOPPING) -> None:
        """The server is stopping: every waiter of this process ends its entry and answers 503."""
        self.waiters.stop(reason)

    def resume(self) -> None:
        """Serve waiters again (a new app started on this service)."""
        self.waiters.resume()

    def drain(self, timeout: float) -> None:
        """Wait (bounded) until this process's waiters have ended their entries."""
        self.waiters.drain(timeout)

    def renew(self, queue_ids: list[int]) -> None:
        """Extend the lease of these entries (those still waiting): their waiters are alive."""
        if not queue_ids:
            return
        ctx = self.ctx
        with PlainWrite(ctx) as w:
            queue_rows.renew(w.tx, queue_ids, records.to_epoch(w.now) + self._lease)

    def _keep_alive(self) -> None:
        """Renew, at most every third of a lease, the leases of every entry this process waits on."""
        self.renew(self.waiters.due_for_renewal())

    def _leave(self, queue_id: int, reason: str, caller_gone: bool) -> ClaimResult:
        """End the entry of a waiter that is going away (its caller left, or the server stops).

        A waiting entry becomes `abandoned`. A grant that came first is given back
        when the caller is gone (nobody will receive it); a stopping server still
        answers it. Raises Conflict (caller gone) or Unavailable (stopping).
        """
        ctx = self.ctx
        repo_id = self._read(queue_id).repo_id
        with RepoWrite(ctx, repo_id) as w:
            tx, seq, now = w.tx, w.seq, w.now
            row = self._row(tx, queue_id)
            if row.state == "waiting":
                self._end_entry(tx, row, "abandoned", "queue_abandon", now, {"reason": reason})
            elif row.state == "granted" and caller_gone:
                ids = json.loads(row.granted_claims)
                held = [c for c in claims_by_id(tx, ids) if c.state == "active"] if ids else []
                self._end_entry(
                    tx, row, "abandoned", "queue_abandon", now, {"reason": reason, "released": [c.id for c in held]}
                )
                if held:
                    self.grants.end(tx, held, "released", "release", seq, now, actor=row.engineer)
        if row.state == "granted" and not caller_gone:
            return self._outcome(row)
        if caller_gone:
            raise Conflict(f"queue entry {queue_id} abandoned: {reason}; nothing was claimed", queue_id=queue_id)
        raise Unavailable(reason, queue={"id": queue_id, "state": "abandoned"})

    def poll(self, queue_id: int) -> QueueEntry:
        """One step of a wait without blocking: promote the entry's repo, then return the entry."""
        row = self._read(queue_id)
        if row.state == "waiting":
            self.renew([queue_id])  # a poll is a waiter showing it is alive
            self.promote_repo(row.repo_id)
        with self.ctx.store.read() as tx:
            return self._present(tx, self._row(tx, queue_id), self.ctx.clock())

    def outcome(self, queue_id: int) -> ClaimResult:
        """What the waiter is told about an entry that left `waiting` (a grant, or raises Conflict)."""
        return self._outcome(self._read(queue_id))

    def _finish(self, queue_id: int) -> QueueRow:
        """The wait is over: a last promote, then expire the entry if it still waits."""
        ctx = self.ctx
        repo_id = self._read(queue_id).repo_id
        with RepoWrite(ctx, repo_id) as w:
            tx, seq, now = w.tx, w.seq, w.now
            self.promote(tx, repo_id, seq, now)
            row = self._row(tx, queue_id)
            if row.state == "waiting":
                self._end_entry(tx, row, "expired", "queue_expire", now, {"reason": "the wait ended"})
                row = self._row(tx, queue_id)
        return row

    def _throttled_promote(self, repo_id: str) -> None:
        last = self._last_promote.get(repo_id, 0.0)
        if time.monotonic() - last < self._poll:
            return
        self._last_promote[repo_id] = time.monotonic()
        self.promote_repo(repo_id)

    def _outcome(self, row: QueueRow) -> ClaimResult:
        ctx = self.ctx
        if row.state == "granted":
            ids = json.loads(row.granted_claims)
            now = ctx.clock()
            with PlainWrite(ctx) as w:
                claims = claims_by_id(w.tx, ids) if ids else []
                pending = ctx.audit.take_notices(w.tx, row.repo_id, row.engineer, now)
            stamp = records.to_epoch(now)
            assert row.ended_at is not None  # a granted entry ended when it was granted
            waited = round(float(row.ended_at) - float(row.created_at), 3)
            return ClaimResult(
                [claim_from_row(r, stamp) for r in claims],
                [decision_from_json(d) for d in json.loads(row.decisions)],
                pending,
                queue=QueueGrant(row.id, waited),
            )
        now = ctx.clock()
        req = request_of(row)
        files = ctx.files()
        with ctx.synced(row.repo_id) as (book, is_live, rules):
            items = [as_stored_type(i, rules) for i in req.items]
            scope = Context(overlap_function(files, strict=False), is_live)
            decisions = decide(req.engineer, items, book, scope, files, ctx.limits)
        blocked = [d for d in decisions if d.outcome is Outcome.CONFLICT]
        conflicts: list[dict[str, Any]] = []
        suggestion = ""
        if blocked:
            err = conflict_error(blocked, rules, now)
            conflicts, suggestion = err.extra["conflicts"], err.extra["suggestion"]
        why = {
            "expired": "the wait ended",
            "cancelled": "the entry was cancelled",
            "abandoned": "its waiter went away",
        }.get(row.state, row.state)
        raise Conflict(
            f"queue entry {row.id} {row.state}: {why} before the scope was free; nothing was claimed",
            conflicts=conflicts,
            suggestion=suggestion,
            queue={"id": row.id, "state": row.state},
        )

    # --------------------------------------------------------------- cancel

    def cancel(self, queue_id: int, engineer: str) -> QueueEntry:
        ctx = self.ctx
        check_identity(engineer, None, None)
        repo_id = self._read(queue_id).repo_id
        with RepoWrite(ctx, repo_id) as w:
            tx, now = w.tx, w.now
            row = self._row(tx, queue_id)
            if engineer != row.engineer:
                raise Forbidden(f"queue entry {queue_id} belongs to {row.engineer}; only its engineer cancels it")
            if row.state != "waiting":
                raise Conflict(f"queue entry {queue_id} is {row.state}, not waiting", state=row.state)
            self._end_entry(tx, row, "cancelled", "queue_cancel", now, {"by": engineer})
            return self._present(tx, self._row(tx, queue_id), now)

    # ---------------------------------------------------------------- reads

    def get(self, queue_id: int) -> QueueEntry:
        with self.ctx.store.read() as tx:
            return self._present(tx, self._row(tx, queue_id), self.ctx.clock())

    def list(
        self,
        repo_id: str | None = None,
        engineer: str | None = None,
        limit: int = 200,
        after: int | None = None,
        state: str = "waiting",
    ) -> list[QueueEntry]:
        """Queue entries in arrival (id) order, each with the claims it waits on; a waiting
        entry carries its `place` in its repo's queue order. `after` resumes past an id."""
        ctx = self.ctx
        check_identity(engineer, repo_id, None)
        if state not in STATES:
            raise Invalid(f"state must be one of {', '.join(STATES)}, not {state!r}", field="state")
        now = ctx.clock()
        boost = ctx.settings.queue_age_boost_seconds
        with ctx.store.read() as tx:
            rows = queue_rows.listing(tx, state, repo_id, engineer, after, limit)
            found = places(tx, {r.repo_id for r in rows}, now, boost) if state == "waiting" else {}
            return [self._present(tx, row, now, place=found.get(row.id)) for row in rows]

    # -------------------------------------------------------------- helpers

    def _end_entry(self, tx: Tx, row: QueueRow, state: str, event: str, now: datetime, detail: dict[str, Any]) -> None:
        queue_rows.end(tx, row.id, state, records.to_epoch(now))
        patterns = ", ".join(i.pattern for i in request_of(row).items)
        self.ctx.audit.event(tx, row.repo_id, event, row.engineer, None, patterns, now, {"queue_id": row.id, **detail})
        self._changed(tx, row.id)

    def _changed(self, tx: Tx, queue_id: int) -> None:
        """The entry left `waiting` in this transaction: wake its waiter, in this process at
        once and in any other through the store's announcement (sent when `tx` commits)."""
        self.waiters.wake(queue_id)
        queue_rows.announce(tx, queue_id)

    def listen(self) -> None:
        """Wake this process's waiters when another process announces a change to their entry."""
        self.ctx.store.listen(queue_rows.CHANNEL, self._announced)

    def _announced(self, payload: str) -> None:
        if payload.isdigit():
            self.waiters.wake(int(payload))

    def _read(self, queue_id: int) -> QueueRow:
        with self.ctx.store.read() as tx:
            return self._row(tx, queue_id)

    def _row(self, tx: Tx, queue_id: int) -> QueueRow:
        return queue_row(tx, queue_id)

    def _present(self, tx: Tx, row: QueueRow, now: datetime, place: int | None = None) -> QueueEntry:
        return present(tx, row, now, self.ctx.settings.queue_age_boost_seconds, place)
