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
reads the committed row). A waiter whose grant happened in another process or
replica notices it by polling its row every `POLL_SEC`; the waiters of a repo
also run `promote` themselves at most every `POLL_SEC` per process.

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
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from coordination import records
from coordination.core import queue as order
from coordination.core.book import ClaimBook
from coordination.core.decisions import Context, decide
from coordination.core.files import overlap_function
from coordination.core.model import ClaimItem, ClaimType, Outcome, Urgency
from coordination.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from coordination.store import Tx

if TYPE_CHECKING:
    from coordination.service import ClaimRequest, ClaimResult, ClaimService

POLL_SEC = 0.5
MAX_WAIT_SECONDS = 900.0
URGENCIES = tuple(u.value for u in Urgency)
STATES = ("waiting", "granted", "cancelled", "expired", "abandoned")
STOPPING = "the server is shutting down: the wait ended and nothing was claimed; retry (another replica, or this one)"
LAPSED = "no live waiter: the waiting call's lease ran out (its server stopped or died)"

QUEUE_COLUMNS = (
    "id, repo_id, engineer, session_id, request, urgency, priority, position, state, created_at, "
    "deadline, ended_at, granted_claims, decisions, blocking_claims, lease_until"
)


class Presence:
    """Whether the caller of a long wait is still there.

    A front door creates one per waiting call and calls `leave()` when its caller
    goes away (the HTTP connection closed); the wait then ends its entry.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gone = False
        self.reason = ""
        self._listeners: list[Callable[[], None]] = []

    @property
    def gone(self) -> bool:
        return self._gone

    def leave(self, reason: str = "the caller went away") -> None:
        with self._lock:
            if self._gone:
                return
            self.reason, self._gone = reason, True
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def on_leave(self, listener: Callable[[], None]) -> None:
        with self._lock:
            if not self._gone:
                self._listeners.append(listener)
                return
        listener()


class ClaimQueue:
    """Queue use cases on top of one `ClaimService` (which owns one instance)."""

    def __init__(self, service: ClaimService) -> None:
        self.service = service
        self._events: dict[int, threading.Event] = {}
        self._events_lock = threading.Lock()
        self._last_promote: dict[str, float] = {}
        self._waiters = threading.BoundedSemaphore(max(1, service.settings.queue_max_waiters))
        self._lease = float(service.settings.queue_waiter_lease_sec)
        self._last_renew = 0.0
        self._stopping: str | None = None

    # ----------------------------------------------------------------- join

    def enqueue(self, tx: Tx, req: ClaimRequest, blocking: list[int], seq: int, now: datetime) -> dict[str, Any]:
        """Add a waiting entry; called by `create_claims` inside the transaction that found the conflict."""
        stamp = records.to_epoch(now)
        request = {
            "items": [{"type": i.type.value, "pattern": i.pattern, "symbols": list(i.symbols)} for i in req.items],
            "ttl_hours": req.ttl_hours,
            "branch": req.branch,
            "description": req.description,
        }
        urgency = Urgency(req.urgency)
        queue_id = int(
            tx.scalar(
                "INSERT INTO claim_queue (repo_id, engineer, session_id, request, urgency, priority, position,"
                " state, created_at, deadline, granted_claims, decisions, blocking_claims, lease_until)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, '[]', '[]', ?, ?) RETURNING id",
                (
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
                ),
            )
        )
        self.service._event(
            tx,
            req.repo_id,
            "queue_wait",
            req.engineer,
            None,
            ", ".join(i.pattern for i in req.items),
            now,
            {"queue_id": queue_id, "urgency": urgency.value, "wait_seconds": req.wait_seconds, "blocking": blocking},
        )
        return {"id": queue_id, "state": "waiting", "position": seq}

    # -------------------------------------------------------------- promote

    def promote(self, tx: Tx, repo_id: str, seq: int, now: datetime) -> list[int]:
        """Grant, in queue order, every waiting entry that no longer conflicts; expire overdue ones.

        Runs inside the repo's write transaction whose sequence number is `seq`.
        The cached book holds the claims as of `seq - 1`; rows this transaction
        already wrote (ended or granted claims) carry `seq` or more and are laid
        over a copy of it, as is every grant this pass makes.
        Returns the ids of the entries granted.
        """
        rows = tx.all(
            f"SELECT {QUEUE_COLUMNS} FROM claim_queue WHERE repo_id = ? AND state = 'waiting'",
            (repo_id,),
        )
        if not rows:
            return []
        svc = self.service
        stamp = records.to_epoch(now)
        book = ClaimBook(svc._cache(repo_id).book)
        _overlay(tx, repo_id, book, seq)
        files = svc._files()
        ctx = Context(overlap_function(files, strict=False), svc._liveness(tx, now))
        rules = svc._ownership(tx, repo_id)
        by_id = {r["id"]: r for r in rows}
        granted: list[int] = []
        for entry in order.ordered((_entry(r) for r in rows), now, svc.settings.queue_age_boost_seconds):
            row = by_id[entry.id]
            if row["deadline"] <= stamp:
                self._end_entry(tx, row, "expired", "queue_expire", now, {"reason": "the wait ended"})
                continue
            if row["lease_until"] is None or row["lease_until"] <= stamp:
                self._end_entry(tx, row, "abandoned", "queue_abandon", now, {"reason": LAPSED})
                continue
            req = _request(row)
            items = [svc._as_stored_type(i, rules) for i in req.items]
            decisions = decide(req.engineer, items, book, ctx, files, svc.limits)
            if any(d.outcome is Outcome.INVALID for d in decisions):
                continue  # e.g. the repo's files changed; the entry waits out its deadline
            blocking = sorted({c.id for d in decisions for c in d.blocking})
            if blocking:
                if blocking != json.loads(row["blocking_claims"]):
                    tx.execute(
                        "UPDATE claim_queue SET blocking_claims = ? WHERE id = ?", (json.dumps(blocking), row["id"])
                    )
                continue
            fence = svc._bump(tx, repo_id)  # strictly above every claim this transaction ended
            result = svc._grant(tx, req, decisions, fence, now, take_notices=False)
            _overlay(tx, repo_id, book, fence)
            ids = [c["id"] for c in result.claims]
            tx.execute(
                "UPDATE claim_queue SET state = 'granted', ended_at = ?, granted_claims = ?, decisions = ?,"
                " blocking_claims = '[]' WHERE id = ?",
                (stamp, json.dumps(ids), json.dumps(result.decisions), row["id"]),
            )
            svc._event(
                tx,
                repo_id,
                "queue_grant",
                req.engineer,
                ids[0] if ids else None,
                ", ".join(i.pattern for i in req.items),
                now,
                {
                    "queue_id": row["id"],
                    "claims": ids,
                    "waited_sec": round(stamp - row["created_at"], 3),
                    "urgency": row["urgency"],
                },
            )
            self._wake(row["id"])
            granted.append(row["id"])
        return granted

    def promote_repo(self, repo_id: str) -> list[int]:
        """Run `promote` in a write transaction of its own (waiters' polls, the sweep)."""
        svc = self.service
        cache = svc._cache(repo_id)
        with cache.lock, svc.store.write(repo_id) as tx:
            seq = svc._advance(tx, repo_id, cache)
            return self.promote(tx, repo_id, seq, svc._now(tx))

    def expire_overdue(self) -> None:
        """Sweep: end waiting entries whose wait is over or whose waiter is gone (lease lapsed)."""
        with self.service.store.read() as tx:
            stamp = records.to_epoch(self.service._now(tx))
            repos = tx.all(
                "SELECT DISTINCT repo_id FROM claim_queue WHERE state = 'waiting'"
                " AND (deadline <= ? OR lease_until IS NULL OR lease_until <= ?)",
                (stamp, stamp),
            )
        for row in repos:
            self.promote_repo(row["repo_id"])

    def expired_count(self) -> int:
        with self.service.store.read() as tx:
            return int(tx.scalar("SELECT COUNT(*) AS n FROM claim_queue WHERE state IN ('expired', 'abandoned')") or 0)

    # ----------------------------------------------------------------- wait

    def claim_and_wait(self, req: ClaimRequest, presence: Presence | None = None) -> ClaimResult:
        """`POST /claims` with a wait: grant now, or queue and block until granted, cancelled or over."""
        if self._stopping is not None:
            raise Unavailable(self._stopping)
        if not self._waiters.acquire(blocking=False):
            raise Unavailable(
                f"this server already has {self.service.settings.queue_max_waiters} waiting claim requests "
                "(COORD_QUEUE_MAX_WAITERS); retry later or without wait_seconds"
            )
        try:
            result = self.service.create_claims(req)
            if result.queue is None:
                return result
            return self.wait(int(result.queue["id"]), req.wait_seconds, presence)
        finally:
            self._waiters.release()

    def wait(self, queue_id: int, wait_seconds: float, presence: Presence | None = None) -> ClaimResult:
        """Block until the entry leaves `waiting` or `wait_seconds` pass; then the grant or a Conflict.

        While it waits it renews the entry's lease. If `presence` says the caller
        left, or the server is stopping, the entry ends (`abandoned`) instead.
        """
        event = self._register(queue_id)
        if presence is not None:
            presence.on_leave(event.set)
        try:
            row = self._read(queue_id)
            repo_id = row["repo_id"]
            cache = self.service._cache(repo_id)
            end = time.monotonic() + min(wait_seconds, MAX_WAIT_SECONDS)
            while row["state"] == "waiting":
                if presence is not None and presence.gone:
                    return self._leave(queue_id, presence.reason, caller_gone=True)
                if self._stopping is not None:
                    return self._leave(queue_id, self._stopping, caller_gone=False)
                left = end - time.monotonic()
                if left <= 0:
                    row = self._finish(queue_id)
                    break
                if event.wait(min(POLL_SEC, left)):
                    event.clear()
                    # The writer that woke us holds this lock until its commit is done.
                    with cache.lock:
                        pass
                else:
                    self._throttled_promote(repo_id)
                self._keep_alive()
                row = self._read(queue_id)
            if presence is not None and presence.gone and row["state"] == "granted":
                return self._leave(queue_id, presence.reason, caller_gone=True)
            return self._outcome(row)
        finally:
            with self._events_lock:
                self._events.pop(queue_id, None)

    def stop(self, reason: str = STOPPING) -> None:
        """The server is stopping: every waiter of this process ends its entry and answers 503."""
        with self._events_lock:
            self._stopping = reason
            events = list(self._events.values())
        for event in events:
            event.set()

    def resume(self) -> None:
        """Serve waiters again (a new app started on this service)."""
        with self._events_lock:
            self._stopping = None

    def drain(self, timeout: float) -> None:
        """Wait (bounded) until this process's waiters have ended their entries."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._events_lock:
                if not self._events:
                    return
            time.sleep(0.02)

    def renew(self, queue_ids: list[int]) -> None:
        """Extend the lease of these entries (those still waiting): their waiters are alive."""
        if not queue_ids:
            return
        svc = self.service
        with svc.store.write(None) as tx:
            marks = ", ".join("?" * len(queue_ids))
            tx.execute(
                f"UPDATE claim_queue SET lease_until = ? WHERE state = 'waiting' AND id IN ({marks})",
                [records.to_epoch(svc._now(tx)) + self._lease, *queue_ids],
            )

    def _keep_alive(self) -> None:
        """Renew, at most every third of a lease, the leases of every entry this process waits on."""
        with self._events_lock:
            if time.monotonic() - self._last_renew < self._lease / 3:
                return
            self._last_renew = time.monotonic()
            ids = sorted(self._events)
        self.renew(ids)

    def _leave(self, queue_id: int, reason: str, caller_gone: bool) -> ClaimResult:
        """End the entry of a waiter that is going away (its caller left, or the server stops).

        A waiting entry becomes `abandoned`. A grant that came first is given back
        when the caller is gone (nobody will receive it); a stopping server still
        answers it. Raises Conflict (caller gone) or Unavailable (stopping).
        """
        svc = self.service
        repo_id = self._read(queue_id)["repo_id"]
        cache = svc._cache(repo_id)
        with cache.lock, svc.store.write(repo_id) as tx:
            seq = svc._advance(tx, repo_id, cache)
            now = svc._now(tx)
            row = self._row(tx, queue_id)
            if row["state"] == "waiting":
                self._end_entry(tx, row, "abandoned", "queue_abandon", now, {"reason": reason})
            elif row["state"] == "granted" and caller_gone:
                ids = json.loads(row["granted_claims"])
                held = [c for c in svc._claims_by_id(tx, ids) if c["state"] == "active"] if ids else []
                self._end_entry(
                    tx, row, "abandoned", "queue_abandon", now, {"reason": reason, "released": [c["id"] for c in held]}
                )
                if held:
                    svc._end(tx, held, "released", "release", seq, now, actor=row["engineer"])
        if row["state"] == "granted" and not caller_gone:
            return self._outcome(row)
        if caller_gone:
            raise Conflict(f"queue entry {queue_id} abandoned: {reason}; nothing was claimed", queue_id=queue_id)
        raise Unavailable(reason, queue={"id": queue_id, "state": "abandoned"})

    def poll(self, queue_id: int) -> dict[str, Any]:
        """One step of a wait without blocking: promote the entry's repo, then return the entry."""
        row = self._read(queue_id)
        if row["state"] == "waiting":
            self.renew([queue_id])  # a poll is a waiter showing it is alive
            self.promote_repo(row["repo_id"])
        with self.service.store.read() as tx:
            return self._present(tx, self._row(tx, queue_id), self.service.clock())

    def outcome(self, queue_id: int) -> ClaimResult:
        """What the waiter is told about an entry that left `waiting` (a grant, or raises Conflict)."""
        return self._outcome(self._read(queue_id))

    def _finish(self, queue_id: int) -> dict[str, Any]:
        """The wait is over: a last promote, then expire the entry if it still waits."""
        svc = self.service
        repo_id = self._read(queue_id)["repo_id"]
        cache = svc._cache(repo_id)
        with cache.lock, svc.store.write(repo_id) as tx:
            seq = svc._advance(tx, repo_id, cache)
            now = svc._now(tx)
            self.promote(tx, repo_id, seq, now)
            row = self._row(tx, queue_id)
            if row["state"] == "waiting":
                self._end_entry(tx, row, "expired", "queue_expire", now, {"reason": "the wait ended"})
                row = self._row(tx, queue_id)
        return row

    def _throttled_promote(self, repo_id: str) -> None:
        last = self._last_promote.get(repo_id, 0.0)
        if time.monotonic() - last < POLL_SEC:
            return
        self._last_promote[repo_id] = time.monotonic()
        self.promote_repo(repo_id)

    def _outcome(self, row: dict[str, Any]) -> ClaimResult:
        from coordination.service import ClaimResult

        svc = self.service
        if row["state"] == "granted":
            ids = json.loads(row["granted_claims"])
            now = svc.clock()
            with svc.store.write(None) as tx:
                claims = svc._claims_by_id(tx, ids) if ids else []
                pending = svc._take_notices(tx, row["repo_id"], row["engineer"], now)
            stamp = records.to_epoch(now)
            waited = round(float(row["ended_at"]) - float(row["created_at"]), 3)
            return ClaimResult(
                [records.to_api(r, stamp) for r in claims],
                json.loads(row["decisions"]),
                pending,
                queue={"id": row["id"], "state": "granted", "waited_sec": waited},
            )
        now = svc.clock()
        req = _request(row)
        files = svc._files()
        with svc._synced(row["repo_id"]) as (book, is_live, rules):
            items = [svc._as_stored_type(i, rules) for i in req.items]
            ctx = Context(overlap_function(files, strict=False), is_live)
            decisions = decide(req.engineer, items, book, ctx, files, svc.limits)
        blocked = [d for d in decisions if d.outcome is Outcome.CONFLICT]
        conflicts: list[dict[str, Any]] = []
        suggestion = ""
        if blocked:
            err = svc._conflict_error(blocked, rules, now)
            conflicts, suggestion = err.extra["conflicts"], err.extra["suggestion"]
        why = {
            "expired": "the wait ended",
            "cancelled": "the entry was cancelled",
            "abandoned": "its waiter went away",
        }.get(row["state"], row["state"])
        raise Conflict(
            f"queue entry {row['id']} {row['state']}: {why} before the scope was free; nothing was claimed",
            conflicts=conflicts,
            suggestion=suggestion,
            queue={"id": row["id"], "state": row["state"]},
        )

    # --------------------------------------------------------------- cancel

    def cancel(self, queue_id: int, engineer: str) -> dict[str, Any]:
        svc = self.service
        svc._check_identity(engineer, None, None)
        repo_id = self._read(queue_id)["repo_id"]
        cache = svc._cache(repo_id)
        with cache.lock, svc.store.write(repo_id) as tx:
            svc._advance(tx, repo_id, cache)
            now = svc._now(tx)
            row = self._row(tx, queue_id)
            if engineer != row["engineer"]:
                raise Forbidden(f"queue entry {queue_id} belongs to {row['engineer']}; only its engineer cancels it")
            if row["state"] != "waiting":
                raise Conflict(f"queue entry {queue_id} is {row['state']}, not waiting", state=row["state"])
            self._end_entry(tx, row, "cancelled", "queue_cancel", now, {"by": engineer})
            return self._present(tx, self._row(tx, queue_id), now)

    # ---------------------------------------------------------------- reads

    def get(self, queue_id: int) -> dict[str, Any]:
        with self.service.store.read() as tx:
            return self._present(tx, self._row(tx, queue_id), self.service.clock())

    def list(
        self,
        repo_id: str | None = None,
        engineer: str | None = None,
        limit: int = 200,
        after: int | None = None,
        state: str = "waiting",
    ) -> list[dict[str, Any]]:
        """Queue entries in arrival (id) order, each with the claims it waits on; a waiting
        entry carries its `place` in its repo's queue order. `after` resumes past an id."""
        svc = self.service
        svc._check_identity(engineer, repo_id, None)
        if state not in STATES:
            raise Invalid(f"state must be one of {', '.join(STATES)}, not {state!r}", field="state")
        now = svc.clock()
        boost = svc.settings.queue_age_boost_seconds
        where: list[str] = ["state = ?"]
        params: list[Any] = [state]
        for column, value in (("repo_id", repo_id), ("engineer", engineer)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if after is not None:
            where.append("id > ?")
            params.append(after)
        with svc.store.read() as tx:
            rows = tx.all(
                f"SELECT {QUEUE_COLUMNS} FROM claim_queue WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
                [*params, limit],
            )
            places = self._places(tx, {r["repo_id"] for r in rows}, now, boost) if state == "waiting" else {}
            out = []
            for row in rows:
                item = self._present(tx, row, now)
                item["place"] = places.get(row["id"])
                out.append(item)
        return out

    def _places(self, tx: Tx, repos: set[str], now: datetime, boost: float) -> dict[int, int]:
        """Each waiting entry's place (1 = considered first) in its repo's queue order."""
        places: dict[int, int] = {}
        for repo in sorted(repos):
            waiting = tx.all(f"SELECT {QUEUE_COLUMNS} FROM claim_queue WHERE state = 'waiting' AND repo_id = ?", [repo])
            for place, entry in enumerate(order.ordered((_entry(r) for r in waiting), now, boost), start=1):
                places[entry.id] = place
        return places

    # -------------------------------------------------------------- helpers

    def _end_entry(
        self, tx: Tx, row: dict[str, Any], state: str, event: str, now: datetime, detail: dict[str, Any]
    ) -> None:
        tx.execute(
            "UPDATE claim_queue SET state = ?, ended_at = ? WHERE id = ?",
            (state, records.to_epoch(now), row["id"]),
        )
        patterns = ", ".join(i.pattern for i in _request(row).items)
        self.service._event(
            tx, row["repo_id"], event, row["engineer"], None, patterns, now, {"queue_id": row["id"], **detail}
        )
        self._wake(row["id"])

    def _register(self, queue_id: int) -> threading.Event:
        with self._events_lock:
            event = self._events.get(queue_id)
            if event is None:
                event = self._events[queue_id] = threading.Event()
            return event

    def _wake(self, queue_id: int) -> None:
        with self._events_lock:
            event = self._events.get(queue_id)
        if event is not None:
            event.set()

    def _read(self, queue_id: int) -> dict[str, Any]:
        with self.service.store.read() as tx:
            return self._row(tx, queue_id)

    def _row(self, tx: Tx, queue_id: int) -> dict[str, Any]:
        row = tx.one(f"SELECT {QUEUE_COLUMNS} FROM claim_queue WHERE id = ?", (queue_id,))
        if row is None:
            raise NotFound(f"no queue entry with id {queue_id}")
        return row

    def _present(self, tx: Tx, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        req = json.loads(row["request"])
        blocking_ids = json.loads(row["blocking_claims"]) if row["state"] == "waiting" else []
        blocking: list[dict[str, Any]] = []
        if blocking_ids:
            marks = ", ".join("?" * len(blocking_ids))
            for claim in tx.all(
                f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE id IN ({marks}) ORDER BY id", blocking_ids
            ):
                blocking.append(
                    {
                        "claim_id": claim["id"],
                        "engineer": claim["engineer"],
                        "type": claim["type"],
                        "pattern": claim["pattern"],
                        "symbols": json.loads(claim["symbols"]),
                        "state": records.present_state(claim, records.to_epoch(now)),
                        "expires_at": records.iso(claim["expires_at"]),
                    }
                )
        end = row["ended_at"] if row["ended_at"] is not None else records.to_epoch(now)
        return {
            "id": row["id"],
            "repo_id": row["repo_id"],
            "engineer": row["engineer"],
            "session_id": row["session_id"],
            "urgency": row["urgency"],
            "priority": row["priority"],
            "effective_priority": order.effective_priority(
                _entry(row), now, self.service.settings.queue_age_boost_seconds
            ),
            "position": row["position"],
            "state": row["state"],
            "claims": req["items"],
            "ttl_hours": req.get("ttl_hours"),
            "created_at": records.iso(row["created_at"]),
            "deadline": records.iso(row["deadline"]),
            "ended_at": records.iso(row["ended_at"]) if row["ended_at"] is not None else None,
            "waited_sec": round(max(0.0, float(end) - float(row["created_at"])), 3),
            "granted_claims": json.loads(row["granted_claims"]),
            "blocking": blocking,
        }


def check_wait(wait_seconds: float, urgency: str) -> None:
    """Refuse a wait or urgency the queue cannot honour (400, before anything is queued)."""
    if not 0 <= wait_seconds <= MAX_WAIT_SECONDS:
        raise Invalid(f"wait_seconds must be between 0 and {MAX_WAIT_SECONDS:g}, not {wait_seconds!r}")
    if urgency not in URGENCIES:
        raise Invalid(f"urgency must be one of {', '.join(URGENCIES)}, not {urgency!r}")


def _entry(row: dict[str, Any]) -> order.QueueEntry:
    return order.QueueEntry(
        id=row["id"],
        position=int(row["position"]),
        urgency=Urgency(row["urgency"]),
        created_at=datetime.fromtimestamp(float(row["created_at"]), UTC),
    )


def _request(row: dict[str, Any]) -> ClaimRequest:
    from coordination.service import ClaimRequest

    req = json.loads(row["request"])
    return ClaimRequest(
        engineer=row["engineer"],
        items=[ClaimItem(ClaimType(i["type"]), i["pattern"], tuple(i["symbols"])) for i in req["items"]],
        repo_id=row["repo_id"],
        session_id=row["session_id"],
        branch=req.get("branch"),
        description=req.get("description"),
        ttl_hours=req.get("ttl_hours"),
    )


def _overlay(tx: Tx, repo_id: str, book: ClaimBook, since_seq: int) -> None:
    """Lay the claim rows written at or after `since_seq` (this transaction's own) over `book`."""
    for row in tx.all(
        f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE repo_id = ? AND seq >= ?", (repo_id, since_seq)
    ):
        if row["state"] == "active":
            book.put(records.to_active(row))
        else:
            book.discard(row["id"])
