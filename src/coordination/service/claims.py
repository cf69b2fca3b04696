"""Claim use cases: claim (`POST /claims`), release, bulk release, extend, and the claim reads.

Every change runs in a `RepoWrite` of the claim's repo, so the conflict check and
the insert that follows it are one atomic step. A request refused with a wait joins
the claim queue in the same transaction; the refused file patterns go to the
`conflicts_recorded` subscribers (auto-promote) there too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from coordination import records
from coordination.core import globs, lifetimes, spelling, validation
from coordination.core.decisions import Context, decide
from coordination.core.files import FileSet, overlap_function
from coordination.core.model import ActiveClaim, ClaimType, Outcome
from coordination.errors import Conflict, Deadlock, Forbidden, Invalid, NotFound
from coordination.service import tickets, wait_graph
from coordination.service.context import ServiceContext, check_identity, require_actor
from coordination.service.drift import Drift
from coordination.service.grants import Grants, conflict_error, dead_candidates, repo_of_claim
from coordination.service.presence import Presence
from coordination.service.queue import ClaimQueue, check_wait
from coordination.service.records import Claim, ExtendedClaim, claim_fields, claim_from_row
from coordination.service.rules import as_stored_type
from coordination.service.sessions import SessionIdle, Sessions
from coordination.service.types import ClaimRequest, ClaimResult
from coordination.service.uow import ClaimAhead, RepoWrite
from coordination.store import Tx
from coordination.store import claims as claim_rows
from coordination.store import queue as queue_rows
from coordination.store import sessions as session_rows
from coordination.store.base import SentRows
from coordination.store.rows import ClaimRow

_T = TypeVar("_T")

__all__ = ["Claims"]


class Claims:
    def __init__(
        self, ctx: ServiceContext, grants: Grants, sessions: Sessions, queue: ClaimQueue, drift: Drift
    ) -> None:
        self.ctx = ctx
        self.grants = grants
        self.sessions = sessions
        self.queue = queue
        self.drift = drift

    # ----------------------------------------------------------------- claim

    def claim(self, req: ClaimRequest, presence: Presence | None = None) -> ClaimResult:
        """`POST /claims`: answer at once, or with `wait_seconds` queue and wait for the grant.

        `presence` tells a waiting call that its caller went away (see `queue`).
        """
        if req.resume:
            return tickets.resume(self.queue, req, presence)
        if req.wait_seconds > 0:
            return self.queue.claim_and_wait(req, presence)
        return self.create_claims(req)

    def create_claims(self, req: ClaimRequest) -> ClaimResult:
        ctx = self.ctx
        check_identity(req.engineer, req.repo_id, req.session_id)
        if not req.items:
            raise Invalid("claims must list at least one item")
        if len(req.items) > ctx.limits.max_items:
            raise Invalid(f"at most {ctx.limits.max_items} claim items per request")
        problem = validation.ttl_problem(req.ttl_hours, ctx.limits)
        for name, text, multiline in (("branch", req.branch, False), ("description", req.description, True)):
            problem = problem or (text is not None and validation.control_problem(name, text, multiline)) or None
        if problem:
            raise Invalid(problem)
        check_wait(req.wait_seconds, req.urgency)
        files = ctx.files()
        self.drift.check_drift(files)
        # Literal paths get their one escaped spelling before anything compares
        # them, so the queue stores and re-decides that spelling too.
        spelled = [spelling.respell(item, files) for item in req.items]
        req = dataclasses.replace(req, items=[item for item, _ in spelled])
        # Symbols are checked against the file (a parse) before any lock is taken;
        # a file whose parse met errors gives a note instead of "unknown symbol".
        checked = ctx.check_symbols(req.items)
        notes = [
            "; ".join(n for n in (spelled_note, symbol_note) if n) or None
            for (_, spelled_note), symbol_note in zip(spelled, checked, strict=True)
        ]
        ctx.warm(files, req.repo_id, req.items)
        spelled_req = req
        return self.sessions.restarting_idle(lambda: self._create_locked(spelled_req, files, notes))

    def _create_locked(self, req: ClaimRequest, files: FileSet | None, notes: Sequence[str | None] = ()) -> ClaimResult:
        deadlocked: Deadlock | None = None
        with RepoWrite(self.ctx, req.repo_id, files, claim=ClaimAhead(req.engineer, len(req.items))) as w:
            tx, seq, now = w.tx, w.seq, w.now
            if req.session_id:
                self.sessions.touch(tx, req.session_id, req.engineer, now)
            rules, is_live = w.rules_and_liveness()
            items = [as_stored_type(item, rules) for item in req.items]
            scope = Context(overlap_function(files), is_live)
            try:
                decisions = decide(req.engineer, items, w.book, scope, files, self.ctx.limits)
            except globs.PatternTooComplex as exc:
                raise Invalid(str(exc)) from None
            invalid = [d for d in decisions if d.outcome is Outcome.INVALID]
            if invalid:
                raise Invalid(invalid[0].reason or "invalid claim", item=invalid[0].item.pattern)
            # Claims the decision passed over because they stopped counting end here, after
            # the grant below: a claim that stopped counting never counts again.
            dead = dead_candidates(w.book, items, is_live)
            blocked = [d for d in decisions if d.outcome is Outcome.CONFLICT]
            if blocked:
                for d in blocked:
                    self.ctx.audit.event(
                        tx,
                        req.repo_id,
                        "conflict",
                        req.engineer,
                        None,
                        d.item.pattern,
                        now,
                        {"blocking": [c.id for c in d.blocking]},
                    )
                refused = [d.item.pattern for d in blocked if d.item.type is ClaimType.FILE]
                if refused:
                    self.ctx.hooks.publish_conflicts(tx, req.repo_id, refused, now)
                if req.wait_seconds > 0:
                    # A wait that would close a cycle of waiters is refused (409 deadlock), not queued.
                    deadlocked = wait_graph.refusal(self.ctx, tx, req, blocked, w.book, now)
                    if deadlocked is None:
                        blocking = [c.id for d in blocked for c in d.blocking]
                        queued = self.queue.enqueue(tx, req, blocking, seq, now)
                        self.grants.end_dead(tx, dead, seq, now)
                        return ClaimResult([], [], [], queue=queued)
            else:
                result = self.grants.grant(
                    tx, req, decisions, seq, now, notes=notes, unseen=w.unseen_notices(), ids=w.reserved_ids()
                )
            self.grants.end_dead(tx, dead, seq, now)
        if blocked:
            raise deadlocked or conflict_error(blocked, rules, now)
        return result

    # --------------------------------------------------------------- release

    def release(self, claim_id: int, engineer: str, force: bool = False, if_fence: int | None = None) -> list[int]:
        """End one claim on behalf of `engineer` (see `_acting_on`); [] when it had already ended."""
        require_actor(engineer)

        def release_in(repo_id: str) -> list[int]:
            with RepoWrite(self.ctx, repo_id, ahead=lambda tx: _release_ahead(tx, repo_id, claim_id)) as w:
                row = _acting_on(w.tx, claim_id, engineer, force, if_fence, "releases", w.ahead, repo_id)
                if row.state != "active":
                    return []
                self.grants.end(w.tx, [row], "released", "release", w.seq, w.now, actor=engineer)
            return [claim_id]

        return self.in_claims_repo(claim_id, release_in)

    def release_many(
        self,
        repo_id: str,
        engineer: str,
        session_id: str | None = None,
        pattern: str | None = None,
        claim_ids: Sequence[int] | None = None,
        force: bool = False,
    ) -> list[int]:
        """End claims in bulk on behalf of `engineer`.

        Without `force` only the engineer's own claims match (narrowed by session,
        pattern or ids; naming another engineer's claim by id is Forbidden). With
        `force` the filters match every engineer's claims and at least one of
        session_id, pattern or claim_ids is required.
        """
        require_actor(engineer)
        check_identity(engineer, repo_id, session_id)
        if force and not (session_id or pattern or claim_ids):
            raise Invalid("force=true releases other engineers' claims: give session_id, pattern or claim_ids")
        holder = None if force else engineer
        with RepoWrite(self.ctx, repo_id) as w:
            tx = w.tx
            if claim_ids and not force:
                others = claim_rows.held_by_others(tx, claim_ids, engineer)
                if others:
                    other_id, other_engineer = others[0]
                    raise Forbidden(
                        f"claim {other_id} is held by {other_engineer}; only the holder "
                        "releases it (or pass force=true)",
                        claim_id=other_id,
                        holder=other_engineer,
                    )
            rows = claim_rows.active_matching(tx, repo_id, holder, session_id, pattern, claim_ids)
            self.grants.end(tx, rows, "released", "release", w.seq, w.now, actor=engineer)
        return [r.id for r in rows]

    # ---------------------------------------------------------------- extend

    def extend(
        self,
        claim_id: int,
        engineer: str,
        ttl_hours: float | None,
        force: bool = False,
        if_fence: int | None = None,
    ) -> ExtendedClaim:
        require_actor(engineer)
        problem = validation.ttl_problem(ttl_hours, self.ctx.limits)
        if problem:
            raise Invalid(problem)
        return self.in_claims_repo(
            claim_id,
            lambda repo_id: self.sessions.restarting_idle(
                lambda: self._extend(claim_id, repo_id, engineer, ttl_hours, force, if_fence)
            ),
        )

    def _extend(
        self,
        claim_id: int,
        repo_id: str,
        engineer: str,
        ttl_hours: float | None,
        force: bool = False,
        if_fence: int | None = None,
    ) -> ExtendedClaim:
        with RepoWrite(self.ctx, repo_id) as w:
            tx, seq, now = w.tx, w.seq, w.now
            row = _acting_on(tx, claim_id, engineer, force, if_fence, "extends", repo_id=repo_id)
            claim = records.to_active(row)
            self._check_extendable(tx, row, claim, now)
            expires = lifetimes.expires_at(now, claim.type, ttl_hours, self.ctx.ttl)
            claim_rows.set_expiry(tx, claim_id, records.to_epoch(expires), seq)
            self.ctx.audit.event(
                tx,
                repo_id,
                "extend",
                engineer,
                claim_id,
                row.pattern,
                now,
                {"expires_at": records.iso(records.to_epoch(expires)), "holder": row.engineer},
            )
            if row.session_id and row.engineer == engineer:  # a forced extend keeps no one's session alive
                self.sessions.touch(tx, row.session_id, engineer, now)
            updated = claim_rows.by_id(tx, claim_id)
            assert updated is not None
            pending = self.ctx.audit.take_notices(tx, repo_id, engineer, now)
        return ExtendedClaim(
            **claim_fields(claim_from_row(updated, records.to_epoch(now))), pending_requests=tuple(pending)
        )

    def _check_extendable(self, tx: Tx, row: ClaimRow, claim: ActiveClaim, now: datetime) -> None:
        """Conflict (409, with the reason) unless the holder may still extend the claim.

        The holder is held to this transaction's clock without the skew margin. A claim
        whose session went idle ends first (`SessionIdle`: the caller ends the session's
        claims and runs again, which then refuses it as `idle_expired`).
        """
        reason = None
        if row.state == "idle_expired":
            reason = (
                "its session was silent longer than COORD_IDLE_TIMEOUT_SEC "
                f"({self.ctx.settings.idle_timeout_sec:g}s), so its claims ended (idle_expired)"
            )
        elif row.state != "active":
            reason = f"it ended ({row.state})"
        elif claim.expires_at <= now:
            reason = f"its TTL ran out at {records.iso(row.expires_at)}"
        elif claim.session_id and self.ctx.session_idle(tx, claim.session_id, now):
            raise SessionIdle(claim.session_id)
        if reason is not None:
            raise Conflict(
                f"claim {claim.id} is no longer active: {reason}; claim the scope again",
                state=records.present_state(row, records.to_epoch(now)),
                reason=reason,
            )

    # ----------------------------------------------------------------- reads

    def get_claim(self, claim_id: int) -> Claim:
        with self.ctx.store.read() as tx:
            row = claim_rows.by_id(tx, claim_id)
            if row is None:
                raise NotFound(f"no claim with id {claim_id}")
            at = self.ctx.read_instant(tx)
            silent = self._silent_sessions(tx, [row], at)
        return claim_from_row(row, at, silent)

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
        """Claims, newest first; `before` lists only claims with a smaller id (the next page)."""
        idle_timeout = self.ctx.settings.idle_timeout_sec
        with self.ctx.store.read() as tx:
            # The same clock and margin as the grant decisions: what counts there is listed here.
            at = self.ctx.read_instant(tx)
            live_at = at if active else None
            idle_cutoff = at - idle_timeout if active and idle_timeout > 0 else None
            rows = claim_rows.listing(tx, repo_id, engineer, session_id, pattern, before, live_at, idle_cutoff, limit)
            silent = frozenset() if active else self._silent_sessions(tx, rows, at)
        return [claim_from_row(r, at, silent) for r in rows]

    def _silent_sessions(self, tx: Tx, rows: list[ClaimRow], at: float) -> frozenset[str]:
        """The sessions of these active claim rows that were silent past the idle timeout at `at`."""
        timeout = self.ctx.settings.idle_timeout_sec
        ids = sorted({r.session_id for r in rows if r.state == "active" and r.session_id})
        if timeout <= 0 or not ids:
            return frozenset()
        return frozenset(session_rows.silent_among(tx, ids, at - timeout))

    def in_claims_repo(self, claim_id: int, act: Callable[[str], _T]) -> _T:
        """`act(repo_id)` for the claim's repo: taken from this process's books when one holds
        the claim (no read of the store), else read from the store (404 for no such claim).
        `act` reads the claim's row under that repo's lock and raises `_OtherRepo` if the row is
        of another repo (only a database replaced under the books could do that): nothing is
        written then, and it runs again with the store's answer."""
        known = self.ctx.books.known_repo(claim_id)
        if known is not None:
            try:
                return act(known)
            except _OtherRepo:
                pass
        return act(repo_of_claim(self.ctx.store, claim_id))


class _OtherRepo(Exception):
    """A claim's row, read under a repo's lock, belongs to another repo."""


def _release_ahead(tx: Tx, repo_id: str, claim_id: int) -> SentRows[ClaimRow]:
    """What a release reads, asked for with the sequence number under the lock (one round trip):
    the repo's waiting queue entries (for the queue's pass once the claim ended) and the claim's row."""
    queue_rows.send_waiting(tx, repo_id)
    return claim_rows.by_id_sent(tx, claim_id)


def _acting_on(
    tx: Tx,
    claim_id: int,
    engineer: str,
    force: bool,
    if_fence: int | None,
    action: str,
    sent: SentRows[ClaimRow] | None = None,
    repo_id: str | None = None,
) -> ClaimRow:
    """The claim's row, read under the repo lock, if `engineer` may change it.

    The holder is the exact engineer id the claim was granted to. Anyone else
    needs `force` (and is then recorded as the actor); `if_fence` must equal
    the claim's fence, so a holder only ends or extends the grant it still holds.
    `sent` is the row's statement when it was already sent under the lock (`claim_rows.by_id_sent`).
    With `repo_id` (the repo whose lock is held), a row of another repo raises `_OtherRepo`.
    """
    row = sent.one() if sent is not None else claim_rows.by_id(tx, claim_id)
    if row is None:
        raise NotFound(f"no claim with id {claim_id}")
    if repo_id is not None and row.repo_id != repo_id:
        raise _OtherRepo(claim_id)
    if engineer != row.engineer and not force:
        raise Forbidden(
            f"claim {claim_id} is held by {row.engineer}; only the holder {action} it (or pass force=true)",
            holder=row.engineer,
        )
    if if_fence is not None and int(row.fence) != if_fence:
        raise Conflict(
            f"claim {claim_id} has fence {row.fence}, not {if_fence}: it is not the grant you hold",
            fence=int(row.fence),
        )
    return row
