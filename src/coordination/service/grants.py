"""Granting and ending claims: insert, refresh, link partners, end, and the carve hand-over.

Every path that writes a claim row comes through `Grants`, inside a `RepoWrite`
of the claim's repo: a grant (`grant`, `insert`, `refresh`, `link_partners`) and an
end (`end`, which also settles the ended claims' partners and hands their carves
over, then tells the `scope_freed` subscribers, the claim queue, in the same
transaction).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from coordination import records
from coordination.core import carves, lifetimes, symbols
from coordination.core.book import ClaimBook
from coordination.core.decisions import effective_pattern
from coordination.core.model import ActiveClaim, Carve, ClaimItem, ClaimType
from coordination.core.model import Decision as ItemDecision
from coordination.core.ownership import Ownership
from coordination.core.suggestions import conflict_suggestion
from coordination.errors import Conflict, NotFound
from coordination.service.context import Liveness, ServiceContext
from coordination.service.records import Decision, Notice, claim_from_row
from coordination.service.types import ClaimRequest, ClaimResult
from coordination.store import Store, Tx
from coordination.store import claims as claim_rows
from coordination.store.rows import ClaimRow, NoticeRow

__all__ = ["Grants", "claims_by_id", "conflict_error", "dead_candidates", "repo_of_claim"]


class Grants:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.audit = ctx.audit

    # ----------------------------------------------------------------- grant

    def grant(
        self,
        tx: Tx,
        req: ClaimRequest,
        decisions: list[ItemDecision],
        seq: int,
        now: datetime,
        take_notices: bool = True,
        notes: Sequence[str | None] = (),
        unseen: list[NoticeRow] | None = None,
        ids: list[int] | None = None,
    ) -> ClaimResult:
        """Grant every decided item. `unseen`: the requester's unseen notices, read earlier under
        this lock (taken here); `ids`: claim ids reserved for the new claims."""
        # The notices a grant writes are for the holders it meets, never for the requester (an
        # engineer never meets its own claims): asking for the requester's before them changes nothing.
        notices: Callable[[], list[Notice]] = list
        if take_notices and unseen is not None:
            notices = lambda: self.audit.take_unseen(tx, unseen, now)  # noqa: E731
        elif take_notices:
            notices = self.audit.take_notices_sent(tx, req.repo_id, req.engineer, now)
        free_ids = list(ids or ())
        granted_ids: list[int] = []
        # The rows as inserted; a refresh changes a row written before, which is read again.
        inserted: dict[int, ClaimRow] = {}
        summary: list[Decision] = []
        for index, (asked, d) in enumerate(zip(req.items, decisions, strict=True)):
            if d.refreshes is not None:
                claim_id = self.refresh(tx, d.refreshes, req, seq, now)
            else:
                # Each new claim gets its own fencing token, strictly above every earlier one.
                fence = seq if not granted_ids else self.ctx.books.bump(tx, req.repo_id)
                row = self.insert_row(tx, req, d, fence, now, free_ids.pop(0) if free_ids else None)
                claim_id = row.id
                inserted[claim_id] = row
                self.link_partners(tx, req, d, claim_id, fence, now)
            granted_ids.append(claim_id)
            summary.append(
                Decision(
                    pattern=d.item.pattern,
                    type=d.item.type,
                    outcome=d.outcome,
                    claim_id=claim_id,
                    refreshed=d.refreshes is not None,
                    coexists_with=tuple(c.id for c in d.coexists_with),
                    narrowed=tuple(c.id for c in d.narrowed),
                    note="; ".join(
                        n for n in (notes[index] if index < len(notes) else None, _type_note(asked, d.item)) if n
                    )
                    or None,
                )
            )
        # Partner links only change the claims already held, never one granted here.
        fresh = len(inserted) == len(granted_ids)
        rows = [inserted[i] for i in granted_ids] if fresh else claims_by_id(tx, granted_ids)
        pending = notices()
        stamp = records.to_epoch(now)
        return ClaimResult([claim_from_row(r, stamp) for r in rows], summary, pending)

    def insert(self, tx: Tx, req: ClaimRequest, d: ItemDecision, seq: int, now: datetime) -> int:
        return self.insert_row(tx, req, d, seq, now).id

    def insert_row(
        self, tx: Tx, req: ClaimRequest, d: ItemDecision, seq: int, now: datetime, claim_id: int | None = None
    ) -> ClaimRow:
        """Insert the granted claim (with `claim_id` when one was reserved) and its `grant` audit
        row; the claim's row as inserted."""
        item = d.item
        expires = lifetimes.expires_at(now, item.type, req.ttl_hours, self.ctx.ttl)
        partners = [c.id for c in d.coexists_with + d.narrowed]
        row = claim_rows.insert(
            tx,
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
            claim_id,
        )
        self.ctx.books.remember(row.id, req.repo_id)
        self.audit.event(
            tx,
            req.repo_id,
            "grant",
            req.engineer,
            row.id,
            item.pattern,
            now,
            {"type": item.type.value, "symbols": list(item.symbols), "fence": seq},
        )
        return row

    def refresh(self, tx: Tx, held: ActiveClaim, req: ClaimRequest, seq: int, now: datetime) -> int:
        expires = lifetimes.expires_at(now, held.type, req.ttl_hours, self.ctx.ttl)
        claim_rows.refresh(tx, held.id, records.to_epoch(max(expires, held.expires_at)), seq, req.session_id)
        self.audit.event(tx, req.repo_id, "refresh", req.engineer, held.id, held.pattern, now, {})
        return held.id

    def link_partners(self, tx: Tx, req: ClaimRequest, d: ItemDecision, claim_id: int, seq: int, now: datetime) -> None:
        """Cross-reference coexisting claims and carve symbols out of narrowed ones."""
        for partner in d.coexists_with:
            self.add_partner(tx, partner.id, claim_id, seq, carves=())
            self.audit.event(
                tx,
                req.repo_id,
                "auto-coexist",
                req.engineer,
                claim_id,
                d.item.pattern,
                now,
                {"partner": partner.id, "partner_engineer": partner.engineer},
            )
            self.audit.notice(
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
            self.add_partner(tx, holder.id, claim_id, seq, carves=cut)
            self.audit.event(
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
            self.audit.notice(
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

    def add_partner(self, tx: Tx, claim_id: int, partner_id: int, seq: int, carves: tuple[Carve, ...]) -> None:
        row = claim_rows.partner_fields(tx, claim_id)
        assert row is not None
        partners_json, carved_json = row
        partners = json.loads(partners_json)
        if partner_id not in partners:
            partners.append(partner_id)
        carved = list(records.carves_from_json(carved_json)) + list(carves)
        claim_rows.set_partners(tx, claim_id, json.dumps(partners), records.carves_to_json(carved), seq)

    # ------------------------------------------------------------------- end

    def end(
        self,
        tx: Tx,
        rows: list[ClaimRow],
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
            claim_rows.end(tx, row.id, state, stamp, seq)
            self.audit.event(
                tx,
                row.repo_id,
                event,
                actor or row.engineer,
                row.id,
                row.pattern,
                now,
                {"holder": row.engineer, "seq": seq},
            )
        for repo_id in sorted({r.repo_id for r in rows}):
            self._settle_partners(tx, repo_id, [r for r in rows if r.repo_id == repo_id], seq, now)
            # Freed scope goes to the claim queue's waiters in the same transaction.
            self.ctx.hooks.publish_scope_freed(tx, repo_id, seq, now)

    def _settle_partners(self, tx: Tx, repo_id: str, ended_rows: list[ClaimRow], seq: int, now: datetime) -> None:
        """Drop ended claims from their partners and re-home the carves they held."""
        ended = {r.id for r in ended_rows}
        partner_ids = sorted({p for r in ended_rows for p in json.loads(r.coexists_with)} - ended)
        if not partner_ids:
            return
        holders = [
            records.to_active(r) for r in claims_by_id(tx, partner_ids) if r.state == "active" and r.repo_id == repo_id
        ]
        paths = sorted({c.path for h in holders for c in h.carved if c.by in ended})
        inside: list[ActiveClaim] = []
        if paths:
            inside = [records.to_active(r) for r in claim_rows.active_symbol_claims_on(tx, repo_id, paths)]
        for holder in holders:
            after = carves.after_end(holder, ended, inside)
            claim_rows.set_partners(
                tx, holder.id, json.dumps(list(after.partners)), records.carves_to_json(after.carved), seq
            )
            for taker in after.takers:
                self.add_partner(tx, taker, holder.id, seq, carves=())
                self.audit.event(
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

    def end_dead(self, tx: Tx, dead: list[ActiveClaim], seq: int, now: datetime) -> None:
        """End claims that stopped counting: `expired` past their TTL, else `idle_expired`."""
        if dead:
            rows = claims_by_id(tx, [c.id for c in dead])
            self.end_stopped(tx, [r for r in rows if r.state == "active"], seq, now)

    def end_stopped(self, tx: Tx, rows: list[ClaimRow], seq: int, now: datetime) -> None:
        at = records.to_epoch(now - self.ctx.skew_margin)
        expired = [r for r in rows if r.expires_at <= at]
        idle = [r for r in rows if r.expires_at > at]
        if expired:
            self.end(tx, expired, "expired", "expire", seq, now)
        if idle:
            self.end(tx, idle, "idle_expired", "idle-expire", seq, now)


def dead_candidates(book: ClaimBook, items: Iterable[ClaimItem], is_live: Liveness) -> list[ActiveClaim]:
    """Claims a decision on `items` looks at that no longer count (TTL or idle session)."""
    dead: dict[int, ActiveClaim] = {}
    for item in items:
        for claim in book.candidates(effective_pattern(item)):
            if not is_live(claim):
                dead[claim.id] = claim
    return list(dead.values())


def conflict_error(blocked: list[ItemDecision], rules: Ownership, now: datetime) -> Conflict:
    entries = [records.conflict_entry(c, d.item.pattern) for d in blocked for c in d.blocking]
    holders = [c for d in blocked for c in d.blocking]
    owners = sorted({o for d in blocked for o in rules.owners_for(effective_pattern(d.item))})
    patterns = ", ".join(d.item.pattern for d in blocked)
    return Conflict(
        f"{patterns} overlaps {len(entries)} active claim(s) held by others",
        conflicts=entries,
        suggestion=conflict_suggestion(holders, owners, now),
    )


def claims_by_id(tx: Tx, ids: list[int]) -> list[ClaimRow]:
    """The claim rows with these ids, in the order given."""
    return claim_rows.by_ids(tx, ids)


def repo_of_claim(store: Store, claim_id: int) -> str:
    """The repo of a claim (404 when there is no such claim)."""
    with store.read() as tx:
        repo_id = claim_rows.repo_of(tx, claim_id)
    if repo_id is None:
        raise NotFound(f"no claim with id {claim_id}")
    return repo_id


def _type_note(asked: ClaimItem, stored: ClaimItem) -> str | None:
    if asked.type is stored.type:
        return None
    return (
        f"stored as {stored.type.value}: {stored.pattern} is listed in the repo's shared_files "
        "(owners.yaml), so other engineers may claim it beside you"
    )
