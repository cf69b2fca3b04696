"""Use cases of coord: claim, release, extend, check, verify, sweep.

The only layer the HTTP routes, the MCP bridge and the CLI call. It joins the
pure engine (`coordination.core`) with a store: every change to a repo's
claims happens inside `store.write(repo_id)`, which serialises writers of that
repo across threads, processes and replicas, so the conflict check and the
insert that follows it are one atomic step.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from coordination import ownership_yaml, records
from coordination.config import Settings
from coordination.core import carves, drift, globs, identity, lifetimes, spelling, symbols, validation, webhook_events
from coordination.core.book import ClaimBook
from coordination.core.decisions import Context, decide, decide_item, effective_pattern
from coordination.core.files import FileSet, overlap_function
from coordination.core.model import ActiveClaim, Carve, ClaimItem, ClaimType, Decision, Outcome
from coordination.core.ownership import Ownership
from coordination.core.suggestions import conflict_suggestion
from coordination.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from coordination.repo_files import RepoFiles
from coordination.store import Store, Tx
from coordination.store.waits import DEFAULT_BUSY_TIMEOUT_SEC, WaitLock

if TYPE_CHECKING:
    from coordination.claim_queue import Presence

log = logging.getLogger("coordination.service")

Clock = Callable[[], datetime]
_T = TypeVar("_T")
SESSION_TOUCH_INTERVAL_SEC = 5.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class _SessionIdle(Exception):
    """Raised inside a transaction that would touch a session gone idle while it still
    has active claims: they end first (`ClaimService._end_idle_session`), then the
    caller runs again, so a touch never makes an idle session's old claims count again."""

    def __init__(self, session_id: str) -> None:
        super().__init__(session_id)
        self.session_id = session_id


IDLE_RESTART_ATTEMPTS = 3


@dataclass
class ClaimRequest:
    engineer: str
    items: list[ClaimItem]
    repo_id: str = "default"
    session_id: str | None = None
    branch: str | None = None
    description: str | None = None
    ttl_hours: float | None = None
    # Queue: wait up to this long if the request conflicts (0: answer the conflict at once).
    wait_seconds: float = 0
    urgency: str = "normal"


@dataclass
class ClaimResult:
    claims: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    pending_requests: list[dict[str, Any]]
    # Set when the request joined the claim queue ({id, state, ...}); claims are then empty.
    queue: dict[str, Any] | None = None


@dataclass
class _RepoCache:
    """This process's copy of a repo's active claims, as of sequence number `seq`."""

    # Bounded: a request queued behind a writer stuck on the database gets a 503, not an endless wait.
    lock: WaitLock = field(default_factory=lambda: WaitLock(DEFAULT_BUSY_TIMEOUT_SEC, "this repo's other requests"))
    seq: int = 0
    book: ClaimBook = field(default_factory=ClaimBook)


class ClaimService:
    def __init__(self, settings: Settings, store: Store, clock: Clock | None = None) -> None:
        self.settings = settings
        self.store = store
        # Liveness (TTL expiry, idle sessions) is decided from the store's clock, read
        # inside the write transaction (`_now`); an injected clock (tests) replaces it.
        self.clock: Clock = clock or utcnow
        self._clock_injected = clock is not None
        # Stores without one shared clock (SQLite) let a claim count for others this much
        # longer, so a process whose clock runs ahead does not hand out a scope still held.
        self.skew_margin = timedelta(
            seconds=0.0 if getattr(store, "shared_clock", False) else settings.clock_skew_margin_sec
        )
        self.repo_files = (
            RepoFiles(settings.repo_root, settings.repo_scope, settings.ls_files_cache_ttl_sec)
            if settings.repo_root
            else None
        )
        self.limits = validation.Limits(
            max_claim_files=settings.max_claim_files,
            max_claim_ratio=settings.max_claim_ratio,
            enforce_ratio=not settings.repo_scope,
            max_ttl_hours=settings.max_ttl_hours,
        )
        self.ttl = lifetimes.TtlPolicy(settings.default_ttl_hours, settings.shared_ttl_hours)
        self._caches: dict[str, _RepoCache] = {}
        self._caches_lock = threading.Lock()
        self._touched: dict[str, float] = {}
        # The tracked-file list the last drift check ran against (see `check_drift`).
        self._drift_checked: FileSet | None = None
        self._drift_lock = threading.Lock()
        # Set once every repo's book has been loaded (`warm`); until then /readyz is not ready.
        self._books_loaded = False
        # Webhook event names to enqueue with their audit rows (none when no receiver is set).
        self.webhook_events: frozenset[str] = settings.webhook_allowlist() if settings.webhook_url else frozenset()
        from coordination.claim_queue import ClaimQueue

        self.queue = ClaimQueue(self)
        from coordination.edit_gate import EditGate

        self.gate = EditGate(self)

    # ----------------------------------------------------------------- claims

    def claim(self, req: ClaimRequest, presence: Presence | None = None) -> ClaimResult:
        """`POST /claims`: answer at once, or with `wait_seconds` queue and wait for the grant.

        `presence` tells a waiting call that its caller went away (see `claim_queue`).
        """
        if req.wait_seconds > 0:
            return self.queue.claim_and_wait(req, presence)
        return self.create_claims(req)

    def create_claims(self, req: ClaimRequest) -> ClaimResult:
        self._check_identity(req.engineer, req.repo_id, req.session_id)
        if not req.items:
            raise Invalid("claims must list at least one item")
        if len(req.items) > self.limits.max_items:
            raise Invalid(f"at most {self.limits.max_items} claim items per request")
        problem = validation.ttl_problem(req.ttl_hours, self.limits)
        for name, text, multiline in (("branch", req.branch, False), ("description", req.description, True)):
            problem = problem or (text is not None and validation.control_problem(name, text, multiline)) or None
        if problem:
            raise Invalid(problem)
        from coordination.claim_queue import check_wait

        check_wait(req.wait_seconds, req.urgency)
        files = self._files()
        self.check_drift(files)
        # Literal paths get their one escaped spelling before anything compares
        # them, so the queue stores and re-decides that spelling too.
        spelled = [spelling.respell(item, files) for item in req.items]
        req = dataclasses.replace(req, items=[item for item, _ in spelled])
        # Symbols are checked against the file (a parse) before any lock is taken;
        # a file whose parse met errors gives a note instead of "unknown symbol".
        checked = self._check_symbols(req.items)
        notes = [
            "; ".join(n for n in (spelled_note, symbol_note) if n) or None
            for (_, spelled_note), symbol_note in zip(spelled, checked, strict=True)
        ]
        self._warm(files, req.repo_id, req.items)
        spelled_req = req
        return self._restarting_idle(lambda: self._create_locked(spelled_req, files, notes))

    def _create_locked(self, req: ClaimRequest, files: FileSet | None, notes: Sequence[str | None] = ()) -> ClaimResult:
        cache = self._cache(req.repo_id)
        with cache.lock, self.store.write(req.repo_id) as tx:
            seq = self._advance(tx, req.repo_id, cache)
            # Read the clock under the lock: decisions and audit times then
            # follow the order in which writers really went.
            now = self._now(tx)
            if req.session_id:
                self._touch_session(tx, req.session_id, req.engineer, now)
            rules = self._ownership(tx, req.repo_id)
            items = [self._as_stored_type(item, rules) for item in req.items]
            is_live = self._liveness(tx, now)
            ctx = Context(overlap_function(files), is_live)
            try:
                decisions = decide(req.engineer, items, cache.book, ctx, files, self.limits)
            except globs.PatternTooComplex as exc:
                raise Invalid(str(exc)) from None
            invalid = [d for d in decisions if d.outcome is Outcome.INVALID]
            if invalid:
                raise Invalid(invalid[0].reason or "invalid claim", item=invalid[0].item.pattern)
            # Claims the decision passed over because they stopped counting end here, after
            # the grant below: a claim that stopped counting never counts again.
            dead = self._dead_candidates(cache.book, items, is_live)
            blocked = [d for d in decisions if d.outcome is Outcome.CONFLICT]
            if blocked:
                for d in blocked:
                    self._event(
                        tx,
                        req.repo_id,
                        "conflict",
                        req.engineer,
                        None,
                        d.item.pattern,
                        now,
                        {"blocking": [c.id for c in d.blocking]},
                    )
                self._auto_promote(
                    tx, req.repo_id, [d.item.pattern for d in blocked if d.item.type is ClaimType.FILE], now
                )
                if req.wait_seconds > 0:
                    blocking = [c.id for d in blocked for c in d.blocking]
                    queued = self.queue.enqueue(tx, req, blocking, seq, now)
                    self._end_dead(tx, dead, seq, now)
                    return ClaimResult([], [], [], queue=queued)
            else:
                result = self._grant(tx, req, decisions, seq, now, notes=notes)
            self._end_dead(tx, dead, seq, now)
        if blocked:
            raise self._conflict_error(blocked, rules, now)
        return result

    def _auto_promote(self, tx: Tx, repo_id: str, patterns: list[str], now: datetime) -> None:
        """Hard auto-promote, in the transaction that recorded the conflict events (see
        docs/ownership-automation.md): a bad edit is skipped, never a failed claim."""
        if self.settings.auto_promote_threshold <= 0 or not patterns:
            return
        from coordination import hotspots

        try:
            hotspots.auto_promote(self, tx, repo_id, patterns, now)
        except Invalid:
            log.warning("auto-promote skipped for %s: owners.yaml could not be edited", repo_id, exc_info=True)

    def _grant(
        self,
        tx: Tx,
        req: ClaimRequest,
        decisions: list[Decision],
        seq: int,
        now: datetime,
        take_notices: bool = True,
        notes: Sequence[str | None] = (),
    ) -> ClaimResult:
        granted_ids: list[int] = []
        summary: list[dict[str, Any]] = []
        for index, (asked, d) in enumerate(zip(req.items, decisions, strict=True)):
            if d.refreshes is not None:
                claim_id = self._refresh(tx, d.refreshes, req, seq, now)
            else:
                # Each new claim gets its own fencing token, strictly above every earlier one.
                fence = seq if not granted_ids else self._bump(tx, req.repo_id)
                claim_id = self._insert(tx, req, d, fence, now)
                self._link_partners(tx, req, d, claim_id, fence, now)
            granted_ids.append(claim_id)
            summary.append(
                {
                    "pattern": d.item.pattern,
                    "type": d.item.type.value,
                    "outcome": d.outcome.value,
                    "claim_id": claim_id,
                    "refreshed": d.refreshes is not None,
                    "coexists_with": [c.id for c in d.coexists_with],
                    "narrowed": [c.id for c in d.narrowed],
                    "note": "; ".join(
                        n for n in (notes[index] if index < len(notes) else None, _type_note(asked, d.item)) if n
                    )
                    or None,
                }
            )
        rows = self._claims_by_id(tx, granted_ids)
        pending = self._take_notices(tx, req.repo_id, req.engineer, now) if take_notices else []
        stamp = records.to_epoch(now)
        return ClaimResult([records.to_api(r, stamp) for r in rows], summary, pending)

    def _insert(self, tx: Tx, req: ClaimRequest, d: Decision, seq: int, now: datetime) -> int:
        item = d.item
        expires = lifetimes.expires_at(now, item.type, req.ttl_hours, self.ttl)
        partners = [c.id for c in d.coexists_with + d.narrowed]
        claim_id = tx.scalar(
            "INSERT INTO claims (repo_id, engineer, session_id, branch, description, type, pattern,"
            " symbols, narrowable, carved, coexists_with, state, created_at, expires_at, fence, seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, 'active', ?, ?, ?, ?) RETURNING id",
            (
                req.repo_id,
                req.engineer,
                req.session_id,
                req.branch,
                req.description,
                item.type.value,
                effective_pattern(item),
                json.dumps(list(symbols.normalise(item.symbols))),
                item.type is ClaimType.FILE,
                json.dumps(partners),
                records.to_epoch(now),
                records.to_epoch(expires),
                seq,
                seq,
            ),
        )
        self._event(
            tx,
            req.repo_id,
            "grant",
            req.engineer,
            claim_id,
            item.pattern,
            now,
            {"type": item.type.value, "symbols": list(item.symbols), "fence": seq},
        )
        return int(claim_id)

    def _refresh(self, tx: Tx, held: ActiveClaim, req: ClaimRequest, seq: int, now: datetime) -> int:
        expires = lifetimes.expires_at(now, held.type, req.ttl_hours, self.ttl)
        tx.execute(
            "UPDATE claims SET expires_at = ?, seq = ?, session_id = COALESCE(?, session_id) WHERE id = ?",
            (records.to_epoch(max(expires, held.expires_at)), seq, req.session_id, held.id),
        )
        self._event(tx, req.repo_id, "refresh", req.engineer, held.id, held.pattern, now, {})
        return held.id

    def _link_partners(self, tx: Tx, req: ClaimRequest, d: Decision, claim_id: int, seq: int, now: datetime) -> None:
        """Cross-reference coexisting claims and carve symbols out of narrowed ones."""
        for partner in d.coexists_with:
            self._add_partner(tx, partner.id, claim_id, seq, carves=())
            self._event(
                tx,
                req.repo_id,
                "auto-coexist",
                req.engineer,
                claim_id,
                d.item.pattern,
                now,
                {"partner": partner.id, "partner_engineer": partner.engineer},
            )
            self._notice(
                tx,
                req.repo_id,
                partner.engineer,
                "auto-coexist",
                partner.id,
                now,
                {
                    "by_claim": claim_id,
                    "by_engineer": req.engineer,
                    "path": d.item.pattern,
                    "symbols": list(d.item.symbols),
                    "message": f"{req.engineer} now edits {', '.join(d.item.symbols)} in {d.item.pattern} beside you",
                },
            )
        for holder in d.narrowed:
            # Symbols already carved out of the holder's scope (by an earlier claim)
            # do not narrow it further: no notice, but this claim still takes its own carve.
            narrows = not all(carves.covered(holder.carved, d.item.pattern, s) for s in d.item.symbols)
            cut = carves.carves_for(d.item.pattern, d.item.symbols, claim_id)
            self._add_partner(tx, holder.id, claim_id, seq, carves=cut)
            self._event(
                tx,
                req.repo_id,
                "auto-narrow",
                req.engineer,
                claim_id,
                d.item.pattern,
                now,
                {"narrowed": holder.id, "holder": holder.engineer, "symbols": list(d.item.symbols)},
            )
            if not narrows:
                continue
            self._notice(
                tx,
                req.repo_id,
                holder.engineer,
                "auto-narrow",
                holder.id,
                now,
                {
                    "by_claim": claim_id,
                    "by_engineer": req.engineer,
                    "path": d.item.pattern,
                    "symbols": list(d.item.symbols),
                    "message": (
                        f"your claim {holder.pattern} no longer covers {', '.join(d.item.symbols)} "
                        f"in {d.item.pattern}: {req.engineer} holds them; no action needed"
                    ),
                },
            )

    def _add_partner(self, tx: Tx, claim_id: int, partner_id: int, seq: int, carves: tuple[Carve, ...]) -> None:
        row = tx.one("SELECT coexists_with, carved FROM claims WHERE id = ?", (claim_id,))
        assert row is not None
        partners = json.loads(row["coexists_with"])
        if partner_id not in partners:
            partners.append(partner_id)
        carved = list(records.carves_from_json(row["carved"])) + list(carves)
        tx.execute(
            "UPDATE claims SET coexists_with = ?, carved = ?, seq = ? WHERE id = ?",
            (json.dumps(partners), records.carves_to_json(carved), seq, claim_id),
        )

    def _conflict_error(self, blocked: list[Decision], rules: Ownership, now: datetime) -> Conflict:
        entries = [records.conflict_entry(c, d.item.pattern) for d in blocked for c in d.blocking]
        holders = [c for d in blocked for c in d.blocking]
        owners = sorted({o for d in blocked for o in rules.owners_for(effective_pattern(d.item))})
        patterns = ", ".join(d.item.pattern for d in blocked)
        return Conflict(
            f"{patterns} overlaps {len(entries)} active claim(s) held by others",
            conflicts=entries,
            suggestion=conflict_suggestion(holders, owners, now),
        )

    # ---------------------------------------------------------------- release

    def release(self, claim_id: int, engineer: str, force: bool = False, if_fence: int | None = None) -> list[int]:
        """End one claim on behalf of `engineer` (see `_acting_on`); [] when it had already ended."""
        self._require_actor(engineer)
        repo_id = self._repo_of(claim_id)
        cache = self._cache(repo_id)
        with cache.lock, self.store.write(repo_id) as tx:
            seq = self._advance(tx, repo_id, cache)
            now = self._now(tx)
            row = self._acting_on(tx, claim_id, engineer, force, if_fence, "releases")
            if row["state"] != "active":
                return []
            self._end(tx, [row], "released", "release", seq, now, actor=engineer)
        return [claim_id]

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
        self._require_actor(engineer)
        self._check_identity(engineer, repo_id, session_id)
        if force and not (session_id or pattern or claim_ids):
            raise Invalid("force=true releases other engineers' claims: give session_id, pattern or claim_ids")
        holder = None if force else engineer
        where, params = _equal_filters(repo_id=repo_id, engineer=holder, session_id=session_id, pattern=pattern)
        where.append("state = 'active'")
        if claim_ids:
            where.append(f"id IN ({', '.join('?' * len(claim_ids))})")
            params.extend(claim_ids)
        cache = self._cache(repo_id)
        with cache.lock, self.store.write(repo_id) as tx:
            seq = self._advance(tx, repo_id, cache)
            now = self._now(tx)
            if claim_ids and not force:
                marks = ", ".join("?" * len(claim_ids))
                others = tx.all(
                    f"SELECT id, engineer FROM claims WHERE id IN ({marks}) AND engineer <> ? ORDER BY id",
                    [*claim_ids, engineer],
                )
                if others:
                    raise Forbidden(
                        f"claim {others[0]['id']} is held by {others[0]['engineer']}; only the holder "
                        "releases it (or pass force=true)",
                        claim_id=others[0]["id"],
                        holder=others[0]["engineer"],
                    )
            rows = tx.all(f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE {' AND '.join(where)}", params)
            self._end(tx, rows, "released", "release", seq, now, actor=engineer)
        return [r["id"] for r in rows]

    def _end(
        self,
        tx: Tx,
        rows: list[dict[str, Any]],
        state: str,
        event: str,
        seq: int,
        now: datetime,
        actor: str | None = None,
    ) -> None:
        """End claims; every path that ends a claim comes through here.

        In the same transaction, the partners of the ended claims drop them, the
        carves they held are handed over to the claims still inside them
        (`core.carves.after_end`), and the freed scope goes to the claim queue.
        """
        stamp = records.to_epoch(now)
        for row in rows:
            tx.execute(
                "UPDATE claims SET state = ?, ended_at = ?, seq = ? WHERE id = ?",
                (state, stamp, seq, row["id"]),
            )
            self._event(
                tx,
                row["repo_id"],
                event,
                actor or row["engineer"],
                row["id"],
                row["pattern"],
                now,
                {"holder": row["engineer"], "seq": seq},
            )
        for repo_id in sorted({r["repo_id"] for r in rows}):
            self._settle_partners(tx, repo_id, [r for r in rows if r["repo_id"] == repo_id], seq, now)
            # Freed scope goes to the claim queue's waiters in the same transaction.
            self.queue.promote(tx, repo_id, seq, now)

    def _settle_partners(self, tx: Tx, repo_id: str, ended_rows: list[dict[str, Any]], seq: int, now: datetime) -> None:
        """Drop ended claims from their partners and re-home the carves they held."""
        ended = {r["id"] for r in ended_rows}
        partner_ids = sorted({p for r in ended_rows for p in json.loads(r["coexists_with"])} - ended)
        if not partner_ids:
            return
        holders = [
            records.to_active(r)
            for r in self._claims_by_id(tx, partner_ids)
            if r["state"] == "active" and r["repo_id"] == repo_id
        ]
        paths = sorted({c.path for h in holders for c in h.carved if c.by in ended})
        inside: list[ActiveClaim] = []
        if paths:
            marks = ", ".join("?" * len(paths))
            inside = [
                records.to_active(r)
                for r in tx.all(
                    f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE repo_id = ? AND state = 'active'"
                    f" AND symbols <> '[]' AND pattern IN ({marks})",
                    [repo_id, *paths],
                )
            ]
        for holder in holders:
            after = carves.after_end(holder, ended, inside)
            tx.execute(
                "UPDATE claims SET coexists_with = ?, carved = ?, seq = ? WHERE id = ?",
                (json.dumps(list(after.partners)), records.carves_to_json(after.carved), seq, holder.id),
            )
            for taker in after.takers:
                self._add_partner(tx, taker, holder.id, seq, carves=())
                self._event(
                    tx,
                    repo_id,
                    "carve-handover",
                    None,
                    taker,
                    holder.pattern,
                    now,
                    {
                        "holder": holder.id,
                        "ended": sorted(ended),
                        "carved": [{"path": c.path, "symbol": c.symbol} for c in after.carved if c.by == taker],
                    },
                )

    # ----------------------------------------------------------------- extend

    def extend(
        self,
        claim_id: int,
        engineer: str,
        ttl_hours: float | None,
        force: bool = False,
        if_fence: int | None = None,
    ) -> dict[str, Any]:
        self._require_actor(engineer)
        problem = validation.ttl_problem(ttl_hours, self.limits)
        if problem:
            raise Invalid(problem)
        repo_id = self._repo_of(claim_id)
        return self._restarting_idle(lambda: self._extend(claim_id, repo_id, engineer, ttl_hours, force, if_fence))

    def _extend(
        self,
        claim_id: int,
        repo_id: str,
        engineer: str,
        ttl_hours: float | None,
        force: bool = False,
        if_fence: int | None = None,
    ) -> dict[str, Any]:
        cache = self._cache(repo_id)
        with cache.lock, self.store.write(repo_id) as tx:
            seq = self._advance(tx, repo_id, cache)
            now = self._now(tx)
            row = self._acting_on(tx, claim_id, engineer, force, if_fence, "extends")
            claim = records.to_active(row)
            self._check_extendable(tx, row, claim, now)
            expires = lifetimes.expires_at(now, claim.type, ttl_hours, self.ttl)
            tx.execute(
                "UPDATE claims SET expires_at = ?, seq = ? WHERE id = ?",
                (records.to_epoch(expires), seq, claim_id),
            )
            self._event(
                tx,
                repo_id,
                "extend",
                engineer,
                claim_id,
                row["pattern"],
                now,
                {"expires_at": records.iso(records.to_epoch(expires)), "holder": row["engineer"]},
            )
            if row["session_id"] and row["engineer"] == engineer:  # a forced extend keeps no one's session alive
                self._touch_session(tx, row["session_id"], engineer, now)
            updated = tx.one(f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE id = ?", (claim_id,))
            assert updated is not None
            pending = self._take_notices(tx, repo_id, engineer, now)
        out = records.to_api(updated, records.to_epoch(now))
        out["pending_requests"] = pending
        return out

    def _check_extendable(self, tx: Tx, row: dict[str, Any], claim: ActiveClaim, now: datetime) -> None:
        """Conflict (409, with the reason) unless the holder may still extend the claim.

        The holder is held to this transaction's clock without the skew margin. A claim
        whose session went idle ends first (`_SessionIdle`: the caller ends the session's
        claims and runs again, which then refuses it as `idle_expired`).
        """
        reason = None
        if row["state"] == "idle_expired":
            reason = (
                "its session was silent longer than COORD_IDLE_TIMEOUT_SEC "
                f"({self.settings.idle_timeout_sec:g}s), so its claims ended (idle_expired)"
            )
        elif row["state"] != "active":
            reason = f"it ended ({row['state']})"
        elif claim.expires_at <= now:
            reason = f"its TTL ran out at {records.iso(row['expires_at'])}"
        elif claim.session_id and self._session_idle(tx, claim.session_id, now):
            raise _SessionIdle(claim.session_id)
        if reason is not None:
            raise Conflict(
                f"claim {claim.id} is no longer active: {reason}; claim the scope again",
                state=records.present_state(row, records.to_epoch(now)),
                reason=reason,
            )

    # ---------------------------------------------------------------- sessions

    def heartbeat(self, session_id: str, engineer: str | None, repo_id: str | None) -> dict[str, Any]:
        self._check_identity(engineer, repo_id, session_id)
        return self._restarting_idle(lambda: self._heartbeat(session_id, engineer, repo_id))

    def _heartbeat(self, session_id: str, engineer: str | None, repo_id: str | None) -> dict[str, Any]:
        with self.store.write(None) as tx:
            now = self._now(tx)
            self._touch_session(tx, session_id, engineer, now)
            self._touched[session_id] = time.monotonic()
            active = tx.scalar(
                "SELECT COUNT(*) AS n FROM claims WHERE session_id = ? AND state = 'active' AND expires_at > ?",
                (session_id, records.to_epoch(now)),
            )
            pending = self._take_notices(tx, repo_id, engineer, now) if engineer and repo_id else []
        return {
            "session_id": session_id,
            "last_seen": now.isoformat().replace("+00:00", "Z"),
            "active_claims": int(active or 0),
            "pending_requests": pending,
        }

    def note_activity(self, session_id: str, engineer: str | None = None) -> None:
        """Any authenticated call carrying a session id keeps that session alive."""
        if validation.session_problem(session_id):
            return
        last = self._touched.get(session_id)
        if last is not None and time.monotonic() - last < SESSION_TOUCH_INTERVAL_SEC:
            return
        self._touched[session_id] = time.monotonic()

        def touch() -> None:
            with self.store.write(None) as tx:
                self._touch_session(tx, session_id, engineer, self._now(tx))

        self._restarting_idle(touch)

    def _touch_session(self, tx: Tx, session_id: str, engineer: str | None, now: datetime) -> None:
        """The session was seen at `now`.

        A session silent past the idle timeout (by `now`, without the skew margin)
        starts afresh, but only once none of its claims is active: otherwise this
        raises `_SessionIdle`, the caller's transaction rolls back, the claims end
        (`idle_expired`) and the caller runs again. Its old claims never count again.
        """
        if self._session_idle(tx, session_id, now) and tx.one(
            "SELECT id FROM claims WHERE session_id = ? AND state = 'active' LIMIT 1", (session_id,)
        ):
            raise _SessionIdle(session_id)
        tx.execute(
            "INSERT INTO sessions (session_id, engineer, last_seen) VALUES (?, ?, ?)"
            " ON CONFLICT (session_id) DO UPDATE SET last_seen = excluded.last_seen,"
            " engineer = COALESCE(excluded.engineer, sessions.engineer)",
            (session_id, engineer, records.to_epoch(now)),
        )

    # ------------------------------------------------------------------ reads

    def get_claim(self, claim_id: int) -> dict[str, Any]:
        with self.store.read() as tx:
            row = tx.one(f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE id = ?", (claim_id,))
            if row is None:
                raise NotFound(f"no claim with id {claim_id}")
            at = self._read_instant(tx)
            silent = self._silent_sessions(tx, [row], at)
        return records.to_api(row, at, silent)

    def list_claims(
        self,
        repo_id: str | None = None,
        engineer: str | None = None,
        session_id: str | None = None,
        pattern: str | None = None,
        active: bool = True,
        limit: int = 1000,
        before: int | None = None,
    ) -> list[dict[str, Any]]:
        """Claims, newest first; `before` lists only claims with a smaller id (the next page)."""
        where, params = _equal_filters(repo_id=repo_id, engineer=engineer, session_id=session_id, pattern=pattern)
        if before is not None:
            where.append("id < ?")
            params.append(before)
        with self.store.read() as tx:
            # The same clock and margin as the grant decisions: what counts there is listed here.
            at = self._read_instant(tx)
            if active:
                where += ["state = 'active'", "expires_at > ?"]
                params.append(at)
                if self.settings.idle_timeout_sec > 0:
                    where.append(
                        "(session_id IS NULL OR session_id NOT IN"
                        " (SELECT session_id FROM sessions WHERE last_seen < ?))"
                    )
                    params.append(at - self.settings.idle_timeout_sec)
            sql = f"SELECT {records.CLAIM_COLUMNS} FROM claims"
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += " ORDER BY id DESC LIMIT ?"
            params.append(limit)
            rows = tx.all(sql, params)
            silent = frozenset() if active else self._silent_sessions(tx, rows, at)
        return [records.to_api(r, at, silent) for r in rows]

    def _read_instant(self, tx: Tx) -> float:
        """The instant reads judge liveness at: the store's clock less the skew margin,
        as the grant decisions do."""
        return records.to_epoch(self._now(tx) - self.skew_margin)

    def _silent_sessions(self, tx: Tx, rows: list[dict[str, Any]], at: float) -> frozenset[str]:
        """The sessions of these active claim rows that were silent past the idle timeout at `at`."""
        ids = sorted({r["session_id"] for r in rows if r["state"] == "active" and r["session_id"]})
        if self.settings.idle_timeout_sec <= 0 or not ids:
            return frozenset()
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            found.update(
                r["session_id"]
                for r in tx.all(
                    f"SELECT session_id FROM sessions WHERE last_seen < ? AND session_id IN ({marks})",
                    [at - self.settings.idle_timeout_sec, *chunk],
                )
            )
        return frozenset(found)

    def check_conflicts(
        self,
        repo_id: str,
        engineer: str | None,
        paths: Sequence[str],
        symbol_specs: Sequence[str] = (),
    ) -> dict[str, Any]:
        """What POST /claims would say for these paths, without writing anything."""
        self._check_identity(engineer, repo_id, None)
        if not paths and not symbol_specs:
            raise Invalid("give at least one path (paths=...) or symbol (symbols=path::Name)")
        if len(paths) + len(symbol_specs) > self.limits.max_items:
            raise Invalid(
                f"at most {self.limits.max_items} paths and symbols per request, got "
                f"{len(paths) + len(symbol_specs)}; split the check into several requests",
                field="paths",
            )
        wanted: dict[str, list[str]] = {p: [] for p in paths}
        for spec in symbol_specs:
            path, sep, symbol = spec.partition("::")
            if not sep or not symbol:
                raise Invalid(f"symbols entries look like 'path::Name', got {spec!r}")
            wanted.setdefault(path, []).append(symbol)
        files = self._files()
        items = [spelling.respell(ClaimItem(ClaimType.FILE, p, tuple(s)), files)[0] for p, s in wanted.items()]
        for item in items:
            problem = validation.item_problem(item, None, self.limits)
            if problem:
                raise Invalid(problem)
        self.check_drift(files)
        now = self.clock()
        # The costly part, matching patterns against the file list, runs outside
        # the repo's lock: the lock only hands out the candidate claims.
        self._warm(files, repo_id, items)
        with self._synced(repo_id) as (book, is_live, rules):
            # Ask exactly what POST /claims would decide: a path in shared_files is a shared claim.
            items = [self._as_stored_type(item, rules) for item in items]
            subset = ClaimBook(
                {c.id: c for i in items for c in book.candidates(effective_pattern(i)) if is_live(c)}.values()
            )
        ctx = Context(overlap_function(files), is_live)
        try:
            decisions = [decide_item(engineer or "", i, subset, ctx) for i in items]
        except globs.PatternTooComplex as exc:
            raise Invalid(str(exc)) from None
        blocked = [d for d in decisions if d.outcome is Outcome.CONFLICT]
        entries = [records.conflict_entry(c, d.item.pattern) for d in blocked for c in d.blocking]
        owners = sorted({o for d in blocked for o in rules.owners_for(d.item.pattern)})
        suggestion = conflict_suggestion([c for d in blocked for c in d.blocking], owners, now)
        return {
            "safe": not entries,
            "safe_to_proceed": not entries,
            "has_conflicts": bool(entries),
            "conflicts": entries,
            "suggestion": suggestion or None,
        }

    def verify(self, repo_id: str, engineer: str, paths: Sequence[str]) -> dict[str, Any]:
        """For each path, whether the engineer's own or someone else's claim covers it.

        Paths are file names, never globs: `pages/[id].tsx` is that one file. A
        path that cannot name a repo file (`..`, a backslash, a control
        character) is answered in `unchecked` with the reason; it never turns
        the check of the other paths off.
        """
        self._check_identity(engineer, repo_id, None)
        patterns: dict[str, str] = {}
        unchecked: list[dict[str, str]] = []
        for path in dict.fromkeys(paths):
            pattern = globs.escape(path)
            reason = globs.validate(pattern)
            if reason:
                unchecked.append({"path": path, "reason": f"not a repo file path: {reason}"})
            else:
                patterns[path] = pattern
        files = self._files()
        self.check_drift(files)
        overlaps = overlap_function(files)
        ours: list[dict[str, Any]] = []
        theirs: list[dict[str, Any]] = []
        with self._synced(repo_id) as (book, is_live, _):
            candidates = {p: [c for c in book.candidates(pattern) if is_live(c)] for p, pattern in patterns.items()}
        # Matching held patterns against the file list happens outside the repo's lock.
        covered = {p: [c for c in found if overlaps(patterns[p], c.pattern)] for p, found in candidates.items()}
        for path, covering in covered.items():
            mine = [c for c in covering if c.engineer == engineer]
            ours += [_verify_entry(path, c) for c in mine]
            for claim in covering:
                if claim.engineer != engineer and _blocks_push(claim, mine):
                    entry = _verify_entry(path, claim)
                    # The server's one rule: a push is never blocked by the same person's claims.
                    entry["same_person"] = identity.same_person(engineer, claim.engineer, self.settings.same_person)
                    theirs.append(entry)
        for entry in ours:
            entry["same_person"] = True
        return {"ours": ours, "theirs": theirs, "unchecked": unchecked}

    # ------------------------------------------------------------------ sweep

    def sweep(self) -> dict[str, int]:
        """Mark claims whose TTL ran out, or whose session went silent, as ended.

        Each repo's time is read under its write lock, as the claim path does: what
        the sweep ends and grants carries the time it really happened.
        """
        self.check_drift(self._files())
        idle = self.settings.idle_timeout_sec > 0
        with self.store.read() as tx:
            stamp = records.to_epoch(self._now(tx) - self.skew_margin)
            expired = tx.all(
                "SELECT id, repo_id FROM claims WHERE state = 'active' AND expires_at <= ?",
                (stamp,),
            )
            idled = (
                tx.all(
                    "SELECT c.id, c.repo_id FROM claims c JOIN sessions s ON s.session_id = c.session_id"
                    " WHERE c.state = 'active' AND s.last_seen < ?",
                    (stamp - self.settings.idle_timeout_sec,),
                )
                if idle
                else []
            )
        counts = {"expired": 0, "idle_expired": 0}
        queue_expired_before = self.queue.expired_count()
        for repo_id in sorted({r["repo_id"] for r in expired + idled}):
            cache = self._cache(repo_id)
            with cache.lock, self.store.write(repo_id) as tx:
                seq = self._advance(tx, repo_id, cache)
                now = self._now(tx)
                # A claim ends once it stops counting for others: the skew margin applies.
                stamp = records.to_epoch(now - self.skew_margin)
                rows = tx.all(
                    f"SELECT {records.CLAIM_COLUMNS} FROM claims"
                    " WHERE repo_id = ? AND state = 'active' AND expires_at <= ?",
                    (repo_id, stamp),
                )
                self._end(tx, rows, "expired", "expire", seq, now)
                counts["expired"] += len(rows)
                if idle:
                    rows = tx.all(
                        f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE repo_id = ? AND state = 'active'"
                        " AND session_id IN (SELECT session_id FROM sessions WHERE last_seen < ?)",
                        (repo_id, stamp - self.settings.idle_timeout_sec),
                    )
                    self._end(tx, rows, "idle_expired", "idle-expire", seq, now)
                    counts["idle_expired"] += len(rows)
        # Waiting entries whose waiter is gone (their wait is over) end too.
        self.queue.expire_overdue()
        counts["queue_expired"] = self.queue.expired_count() - queue_expired_before
        return counts

    # ------------------------------------------------------------------ drift

    def check_drift(self, files: FileSet | None) -> None:
        """After the tracked-file list changed, report claims it made overlap (once per pair).

        Called outside any lock by the paths that read the file list (claim, check,
        verify, sweep). Nothing is revoked: both holders get an `overlap-detected`
        notice, the audit log (and webhook) an `overlap-detected` event, and the
        pre-push check treats each claim as the other engineer's (see docs/conflict-rules.md).
        """
        if files is None or files is self._drift_checked:
            return
        if not self._drift_lock.acquire(blocking=False):
            return  # another thread is checking this change
        try:
            before = self._drift_checked
            with self.store.read() as tx:
                repos = [r["repo_id"] for r in tx.all("SELECT DISTINCT repo_id FROM claims WHERE state = 'active'")]
            for repo_id in sorted(repos):
                with self._synced(repo_id) as (book, is_live, _):
                    patterns = {c.pattern for c in book if is_live(c)}
                # Matching every held pattern against the new list is the costly part:
                # done outside the repo's lock, so the comparison below only reads caches.
                for pattern in patterns:
                    files.matching(pattern)
                    if before is not None:
                        before.matching(pattern)
                with self._synced(repo_id) as (book, is_live, _):
                    found = drift.new_overlaps(book, before, files, is_live)
                if found:
                    self._report_overlaps(repo_id, before, files)
            self._drift_checked = files
        finally:
            self._drift_lock.release()

    def _report_overlaps(self, repo_id: str, before: FileSet | None, files: FileSet) -> None:
        cache = self._cache(repo_id)
        with cache.lock, self.store.write(repo_id) as tx:
            self._advance(tx, repo_id, cache)
            now = self._now(tx)
            # Decided again under the lock, and recorded once per pair across replicas.
            for overlap in drift.new_overlaps(cache.book, before, files, self._liveness(tx, now)):
                if not self._overlap_reported(tx, repo_id, overlap):
                    self._record_overlap(tx, repo_id, overlap, now)

    def _overlap_reported(self, tx: Tx, repo_id: str, overlap: drift.Overlap) -> bool:
        rows = tx.all(
            "SELECT detail FROM request_event WHERE repo_id = ? AND event_type = 'overlap-detected' AND claim_id = ?",
            (repo_id, overlap.first.id),
        )
        return any(overlap.second.id in json.loads(r["detail"]).get("claims", []) for r in rows)

    def _record_overlap(self, tx: Tx, repo_id: str, overlap: drift.Overlap, now: datetime) -> None:
        a, b = overlap.first, overlap.second
        paths = list(overlap.paths)
        self._event(
            tx,
            repo_id,
            "overlap-detected",
            None,
            a.id,
            a.pattern,
            now,
            {
                "claims": [a.id, b.id],
                "engineers": [a.engineer, b.engineer],
                "patterns": [a.pattern, b.pattern],
                "paths": paths,
            },
        )
        for mine, theirs in ((a, b), (b, a)):
            self._notice(
                tx,
                repo_id,
                mine.engineer,
                "overlap-detected",
                mine.id,
                now,
                {
                    "other_claim": theirs.id,
                    "other_engineer": theirs.engineer,
                    "other_pattern": theirs.pattern,
                    "paths": paths,
                    "message": (
                        f"the repo's tracked files changed: your claim {mine.pattern} and "
                        f"{theirs.engineer}'s claim {theirs.pattern} now both cover {', '.join(paths) or 'one path'}; "
                        "a push touching those files is blocked for both until one of you releases or narrows"
                    ),
                },
            )

    # ------------------------------------------------------------- ownership

    def get_ownership(self, repo_id: str) -> str:
        self._check_identity(None, repo_id, None)
        with self.store.read() as tx:
            text = tx.scalar("SELECT yaml FROM ownership WHERE repo_id = ?", (repo_id,))
        return str(text) if text is not None else ""

    def put_ownership(self, repo_id: str, text: str, replace_managed: bool = False) -> dict[str, Any]:
        """Store an uploaded owners.yaml, keeping coord-written entries unless
        `replace_managed` (see `hotspots.upload`): {text, rules, managed: {kept, dropped}}."""
        from coordination import hotspots

        return hotspots.upload(self, repo_id, text, replace_managed)

    def ownership_rules(self, text: str) -> Ownership:
        """The rules of a stored owners.yaml (none when it no longer reads, e.g. a file
        stored before a bound it breaks existed)."""
        return _parse_cached(text) if text else Ownership()

    # ---------------------------------------------------------------- audit

    def events(self, repo_id: str | None = None, limit: int = 1000, after: int | None = None) -> list[dict[str, Any]]:
        """Audit events in id order; `after` resumes past an event id (the live stream's cursor)."""
        sql = "SELECT id, repo_id, event_type, engineer, claim_id, pattern, detail, created_at FROM request_event"
        where: list[str] = []
        params: list[Any] = []
        if repo_id:
            where.append("repo_id = ?")
            params.append(repo_id)
        if after is not None:
            where.append("id > ?")
            params.append(after)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        with self.store.read() as tx:
            rows = tx.all(sql, params)
        for row in rows:
            row["detail"] = json.loads(row["detail"])
            row["created_at"] = records.iso(row["created_at"])
        return rows

    def last_event_id(self) -> int:
        """The newest audit event id (0 when there is none): where a fresh live stream starts."""
        with self.store.read() as tx:
            row = tx.one("SELECT MAX(id) AS last FROM request_event", [])
        return int(row["last"] or 0) if row else 0

    def readiness_checks(self) -> list[tuple[str, Callable[[], str | None]]]:
        """What must hold before /readyz says ready, in order: (name, check returning the problem or None)."""
        return [("database", self.store.health), ("schema", self._schema_problem), ("books", self._books_problem)]

    def ready(self) -> tuple[bool, str]:
        from coordination.store.migrate import head_revision

        for _name, check in self.readiness_checks():
            problem = check()
            if problem:
                return False, problem
        return True, head_revision()

    def _schema_problem(self) -> str | None:
        from coordination.store.migrate import head_revision

        try:
            current = self.store.schema_revision()
        except Unavailable as exc:
            return exc.detail
        except Exception as exc:  # the database is unreachable: not ready, say why
            return f"database unreachable: {type(exc).__name__}"
        head = head_revision()
        if current != head:
            return f"schema at {current}, expected {head}"
        return None

    def _books_problem(self) -> str | None:
        if not self._books_loaded and self.warm() is None:
            return "active claims not loaded yet (the database could not be read at start-up)"
        return None

    # --------------------------------------------------------------- helpers

    def _cache(self, repo_id: str) -> _RepoCache:
        with self._caches_lock:
            cache = self._caches.get(repo_id)
            if cache is None:
                lock = WaitLock(self.settings.db_busy_timeout_sec, "this repo's other requests")
                cache = self._caches[repo_id] = _RepoCache(lock=lock)
            return cache

    def _advance(self, tx: Tx, repo_id: str, cache: _RepoCache) -> int:
        """Take the repo's next sequence number and bring the cached book up to date.

        Runs under the repo's write lock, so every row with a lower number is
        committed; rows this transaction writes carry the new number and are
        loaded by the next call.
        """
        seq = self._bump(tx, repo_id)
        self._load_changes(tx, repo_id, cache, seq - 1)
        return seq

    def _bump(self, tx: Tx, repo_id: str) -> int:
        return int(
            tx.scalar(
                "INSERT INTO repo_state (repo_id, seq) VALUES (?, 1)"
                " ON CONFLICT (repo_id) DO UPDATE SET seq = repo_state.seq + 1 RETURNING seq",
                (repo_id,),
            )
        )

    def warm(self) -> dict[str, int] | None:
        """Load every repo's active claims into this process's books (at start-up, before `/readyz`
        says ready), so that no request pays for indexing them. Returns {repos, claims}, or None
        when the database could not be read: then `ready()` retries and says not ready until it works."""
        try:
            loaded = self._load_all_books()
        except Exception as exc:  # the database is unreachable: not ready, say why
            log.warning("claim books not loaded (%s: %s); /readyz retries", type(exc).__name__, exc)
            return None
        self._books_loaded = True
        return loaded

    def _load_all_books(self) -> dict[str, int]:
        from coordination import symbol_check  # noqa: F401 - imported by the first symbol claim otherwise

        started = time.monotonic()
        with self.store.read() as tx:
            repos = [str(r["repo_id"]) for r in tx.all("SELECT repo_id FROM repo_state ORDER BY repo_id")]
        claims = 0
        for repo_id in repos:
            cache = self._cache(repo_id)
            with cache.lock, self.store.read() as tx:
                current = tx.scalar("SELECT seq FROM repo_state WHERE repo_id = ?", (repo_id,)) or 0
                self._load_changes(tx, repo_id, cache, int(current), during="start-up")
                claims += len(cache.book)
        log.info("books loaded: %d active claims of %d repos in %.2f s", claims, len(repos), time.monotonic() - started)
        return {"repos": len(repos), "claims": claims}

    def _load_changes(self, tx: Tx, repo_id: str, cache: _RepoCache, upto: int, during: str = "a request") -> None:
        if upto < cache.seq:  # the database was reset under us (tests); start over
            cache.book, cache.seq = ClaimBook(), 0
        if upto == cache.seq:
            return
        if cache.seq == 0:
            # A whole book: ended claims could only be discarded from it, so do not read them.
            started = time.monotonic()
            rows = tx.all(
                f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE repo_id = ? AND state = 'active' AND seq <= ?",
                (repo_id, upto),
            )
            for row in rows:
                cache.book.put(records.to_active(row))
            cache.seq = upto
            log.info(
                "book of repo %r loaded during %s: %d active claims in %.2f s",
                repo_id,
                during,
                len(rows),
                time.monotonic() - started,
            )
            return
        rows = tx.all(
            f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE repo_id = ? AND seq > ? AND seq <= ?",
            (repo_id, cache.seq, upto),
        )
        for row in rows:
            if row["state"] == "active":
                cache.book.put(records.to_active(row))
            else:
                cache.book.discard(row["id"])
        cache.seq = upto

    @contextmanager
    def _synced(self, repo_id: str) -> Iterator[tuple[ClaimBook, Callable[[ActiveClaim], bool], Ownership]]:
        """The repo's cached book, brought up to date, for a read-only decision.

        The caller decides inside the `with` block, under the cache lock: an
        in-memory decision takes microseconds, where copying the book would make
        every read linear in the number of active claims.
        """
        cache = self._cache(repo_id)
        with cache.lock:
            with self.store.read() as tx:
                current = tx.scalar("SELECT seq FROM repo_state WHERE repo_id = ?", (repo_id,)) or 0
                self._load_changes(tx, repo_id, cache, int(current))
                # Liveness by the store's clock, as the grant path decides it.
                is_live = self._liveness(tx, self._now(tx))
                rules = self._ownership(tx, repo_id)
            yield cache.book, is_live, rules

    def _now(self, tx: Tx) -> datetime:
        """The time for decisions in this transaction: the store's clock (PostgreSQL's,
        shared by every replica), read after the transaction took its lock; or the
        injected clock."""
        return self.clock() if self._clock_injected else tx.now()

    def _liveness(self, tx: Tx, now: datetime) -> Callable[[ActiveClaim], bool]:
        """Does a claim still count for others at `now`? Decided `skew_margin` late."""
        at = now - self.skew_margin
        timeout = self.settings.idle_timeout_sec
        silent: dict[str, datetime] = {}
        if timeout > 0:
            cutoff = records.to_epoch(at) - timeout
            for row in tx.all("SELECT session_id, last_seen FROM sessions WHERE last_seen < ?", (cutoff,)):
                silent[row["session_id"]] = datetime.fromtimestamp(row["last_seen"], UTC)
        return lifetimes.liveness(at, timeout, silent)

    def _session_idle(self, tx: Tx, session_id: str, now: datetime) -> bool:
        """Has the session been silent past the idle timeout at `now` (no margin: the holder's view)?"""
        timeout = self.settings.idle_timeout_sec
        if timeout <= 0:
            return False
        last = tx.scalar("SELECT last_seen FROM sessions WHERE session_id = ?", (session_id,))
        return last is not None and float(last) < records.to_epoch(now) - timeout

    def _restarting_idle(self, run: Callable[[], _T]) -> _T:
        """Run a transaction that may touch a session; end an idle session's claims first if it must."""
        for _ in range(IDLE_RESTART_ATTEMPTS):
            try:
                return run()
            except _SessionIdle as idle:
                self._end_idle_session(idle.session_id)
        raise Unavailable("a session's idle claims kept changing while they were being ended; retry shortly")

    def _end_idle_session(self, session_id: str) -> None:
        """End every active claim of an idle session (`idle_expired`), each repo under its lock."""
        with self.store.read() as tx:
            repos = [
                r["repo_id"]
                for r in tx.all(
                    "SELECT DISTINCT repo_id FROM claims WHERE session_id = ? AND state = 'active'", (session_id,)
                )
            ]
        for repo_id in sorted(repos):
            cache = self._cache(repo_id)
            with cache.lock, self.store.write(repo_id) as tx:
                seq = self._advance(tx, repo_id, cache)
                now = self._now(tx)
                if not self._session_idle(tx, session_id, now):
                    continue  # touched meanwhile: it started afresh and its claims are its own
                rows = tx.all(
                    f"SELECT {records.CLAIM_COLUMNS} FROM claims"
                    " WHERE repo_id = ? AND session_id = ? AND state = 'active'",
                    (repo_id, session_id),
                )
                self._end_stopped(tx, rows, seq, now)

    def _dead_candidates(
        self, book: ClaimBook, items: Iterable[ClaimItem], is_live: Callable[[ActiveClaim], bool]
    ) -> list[ActiveClaim]:
        """Claims a decision on `items` looks at that no longer count (TTL or idle session)."""
        dead: dict[int, ActiveClaim] = {}
        for item in items:
            for claim in book.candidates(effective_pattern(item)):
                if not is_live(claim):
                    dead[claim.id] = claim
        return list(dead.values())

    def _end_dead(self, tx: Tx, dead: list[ActiveClaim], seq: int, now: datetime) -> None:
        """End claims that stopped counting: `expired` past their TTL, else `idle_expired`."""
        if dead:
            rows = self._claims_by_id(tx, [c.id for c in dead])
            self._end_stopped(tx, [r for r in rows if r["state"] == "active"], seq, now)

    def _end_stopped(self, tx: Tx, rows: list[dict[str, Any]], seq: int, now: datetime) -> None:
        at = records.to_epoch(now - self.skew_margin)
        expired = [r for r in rows if r["expires_at"] <= at]
        idle = [r for r in rows if r["expires_at"] > at]
        if expired:
            self._end(tx, expired, "expired", "expire", seq, now)
        if idle:
            self._end(tx, idle, "idle_expired", "idle-expire", seq, now)

    def _ownership(self, tx: Tx, repo_id: str) -> Ownership:
        text = tx.scalar("SELECT yaml FROM ownership WHERE repo_id = ?", (repo_id,))
        if not text:
            return Ownership()
        return _parse_cached(text)

    def _as_stored_type(self, item: ClaimItem, rules: Ownership) -> ClaimItem:
        """A plain file claim on a path listed in shared_files is stored as shared_file."""
        if item.type is ClaimType.FILE and not item.symbols and rules.is_shared(item.pattern):
            return ClaimItem(ClaimType.SHARED_FILE, item.pattern, ())
        return item

    def _check_symbols(self, items: Iterable[ClaimItem]) -> list[str | None]:
        """Per item: raise Invalid for an unknown symbol; a note for one that could not be verified."""
        from coordination import symbol_check

        return [
            symbol_check.check(item, self.repo_files) if item.symbols and not globs.validate(item.pattern) else None
            for item in items
        ]

    def _files(self) -> FileSet | None:
        return self.repo_files.snapshot() if self.repo_files else None

    def _warm(self, files: FileSet | None, repo_id: str, items: Iterable[ClaimItem]) -> None:
        """Match the requested patterns, and the held ones they may meet, against the file
        list before any lock is taken: a fresh glob over a large checkout costs milliseconds
        to seconds, and the snapshot caches the answer for the decision that follows."""
        if files is None:
            return
        patterns = {p for p in map(effective_pattern, items) if globs.validate(p) is None}
        for pattern in patterns:
            files.matching(pattern)
        cache = self._cache(repo_id)
        with cache.lock:  # a read brings the book up to date; no write lock is taken
            with self.store.read() as tx:
                current = tx.scalar("SELECT seq FROM repo_state WHERE repo_id = ?", (repo_id,)) or 0
                self._load_changes(tx, repo_id, cache, int(current))
            held = {c.pattern for p in patterns for c in cache.book.candidates(p)}
        for pattern in held - patterns:
            files.matching(pattern)

    def _require_actor(self, engineer: str | None) -> None:
        """Every change to a claim names the engineer making it (400 otherwise)."""
        if engineer is None or not str(engineer).strip():
            raise Invalid("engineer is required: the engineer making this change")
        self._check_identity(engineer, None, None)

    def _acting_on(
        self, tx: Tx, claim_id: int, engineer: str, force: bool, if_fence: int | None, action: str
    ) -> dict[str, Any]:
        """The claim's row, read under the repo lock, if `engineer` may change it.

        The holder is the exact engineer id the claim was granted to. Anyone else
        needs `force` (and is then recorded as the actor); `if_fence` must equal
        the claim's fence, so a holder only ends or extends the grant it still holds.
        """
        row = tx.one(f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE id = ?", (claim_id,))
        if row is None:
            raise NotFound(f"no claim with id {claim_id}")
        if engineer != row["engineer"] and not force:
            raise Forbidden(
                f"claim {claim_id} is held by {row['engineer']}; only the holder {action} it (or pass force=true)",
                holder=row["engineer"],
            )
        if if_fence is not None and int(row["fence"]) != if_fence:
            raise Conflict(
                f"claim {claim_id} has fence {row['fence']}, not {if_fence}: it is not the grant you hold",
                fence=int(row["fence"]),
            )
        return row

    def _repo_of(self, claim_id: int) -> str:
        with self.store.read() as tx:
            repo_id = tx.scalar("SELECT repo_id FROM claims WHERE id = ?", (claim_id,))
        if repo_id is None:
            raise NotFound(f"no claim with id {claim_id}")
        return str(repo_id)

    def _claims_by_id(self, tx: Tx, ids: list[int]) -> list[dict[str, Any]]:
        marks = ", ".join("?" * len(ids))
        rows = tx.all(f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE id IN ({marks})", ids)
        order = {claim_id: i for i, claim_id in enumerate(ids)}
        return sorted(rows, key=lambda r: order[r["id"]])

    def _event(
        self,
        tx: Tx,
        repo_id: str,
        event_type: str,
        engineer: str | None,
        claim_id: int | None,
        pattern: str | None,
        now: datetime,
        detail: dict[str, Any],
    ) -> None:
        tx.execute(
            "INSERT INTO request_event (repo_id, event_type, engineer, claim_id, pattern, detail, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                repo_id,
                event_type,
                engineer,
                claim_id,
                pattern,
                json.dumps(detail),
                records.to_epoch(now),
            ),
        )
        hook = webhook_events.webhook_name(event_type, self.webhook_events)
        if hook is not None:
            # Same transaction as the audit row: the event is delivered iff the change commits.
            from coordination import webhooks

            webhooks.enqueue(tx, hook, event_type, repo_id, engineer, claim_id, pattern, now, detail)

    def _notice(
        self,
        tx: Tx,
        repo_id: str,
        engineer: str,
        kind: str,
        claim_id: int,
        now: datetime,
        detail: dict[str, Any],
    ) -> None:
        tx.execute(
            "INSERT INTO notices (repo_id, engineer, kind, claim_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (repo_id, engineer, kind, claim_id, json.dumps(detail), records.to_epoch(now)),
        )

    def _take_notices(self, tx: Tx, repo_id: str | None, engineer: str | None, now: datetime) -> list[dict[str, Any]]:
        """Unseen notices for the engineer, marked seen: delivered once, on the next call."""
        if not engineer or not repo_id:
            return []
        rows = tx.all(
            "SELECT id, kind, claim_id, detail, created_at FROM notices"
            " WHERE repo_id = ? AND engineer = ? AND seen_at IS NULL ORDER BY id",
            (repo_id, engineer),
        )
        if rows:
            marks = ", ".join("?" * len(rows))
            tx.execute(
                f"UPDATE notices SET seen_at = ? WHERE id IN ({marks})",
                [records.to_epoch(now), *[r["id"] for r in rows]],
            )
        return [
            {
                "id": r["id"],
                "kind": r["kind"],
                "claim_id": r["claim_id"],
                "created_at": records.iso(r["created_at"]),
                **json.loads(r["detail"]),
            }
            for r in rows
        ]

    def _check_identity(self, engineer: str | None, repo_id: str | None, session_id: str | None) -> None:
        for value, check in (
            (engineer, validation.engineer_problem),
            (repo_id, validation.repo_problem),
            (session_id, validation.session_problem),
        ):
            if value is not None:
                problem = check(value)
                if problem:
                    raise Invalid(problem)


_parsed: dict[str, Ownership] = {}


def _parse_cached(text: str) -> Ownership:
    rules = _parsed.get(text)
    if rules is None:
        try:
            rules = ownership_yaml.parse(text)
        except ValueError as exc:
            # Stored before a bound it breaks existed: no rules until an operator uploads again.
            log.warning("a stored owners.yaml does not read and is ignored: %s", exc)
            rules = Ownership()
        if len(_parsed) > 256:
            _parsed.clear()
        _parsed[text] = rules
    return rules


def _blocks_push(claim: ActiveClaim, mine: Sequence[ActiveClaim]) -> bool:
    """Does another engineer's claim on a changed file stop the push?

    Shared files never do. A whole-file claim does unless our own symbol claims
    were carved out of it; a symbol claim does unless one of our claims on the
    file stands beside it by design (a coexisting or narrowed partner). Claims
    that only came to overlap when the tracked files changed are no partners:
    each stops the other's push.
    """
    if not claim.exclusive:
        return False
    if not claim.symbols:
        mine_ids = {c.id for c in mine}
        return not any(c.by in mine_ids for c in claim.carved)
    return not any(claim.id in m.partners or m.id in claim.partners for m in mine)


def _verify_entry(path: str, claim: ActiveClaim) -> dict[str, Any]:
    return {"path": path, **records.claim_brief(claim)}


def _equal_filters(**columns: str | None) -> tuple[list[str], list[Any]]:
    """`column = ?` conditions for the columns given a value (column names are ours, never input)."""
    given = {column: value for column, value in columns.items() if value}
    return [f"{column} = ?" for column in given], list(given.values())


def _type_note(asked: ClaimItem, stored: ClaimItem) -> str | None:
    if asked.type is stored.type:
        return None
    return (
        f"stored as {stored.type.value}: {stored.pattern} is listed in the repo's shared_files "
        "(owners.yaml), so other engineers may claim it beside you"
    )
