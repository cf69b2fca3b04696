"""What a holder's answer to a release request does to the claims: release, deny, narrow, coexist."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from coordination import records
from coordination.core import globs, symbols, validation
from coordination.core.decisions import Context, decide_item
from coordination.core.files import FileSet, overlap_function
from coordination.core.model import ActiveClaim, ClaimItem, ClaimType, Outcome
from coordination.errors import Conflict, Invalid
from coordination.service.context import ServiceContext
from coordination.service.grants import Grants, conflict_error
from coordination.service.request_answers import ReleaseAnswer, blocked_by, matches, narrower_pattern
from coordination.service.rules import as_stored_type, rules_of
from coordination.service.types import ClaimRequest
from coordination.store import Tx
from coordination.store import claims as claim_rows
from coordination.store.rows import ClaimRow, RequestRow

__all__ = ["AnswerEffects"]


class AnswerEffects:
    def __init__(self, ctx: ServiceContext, grants: Grants) -> None:
        self.ctx = ctx
        self.grants = grants

    def apply(
        self,
        tx: Tx,
        req: RequestRow,
        row: ClaimRow,
        holder: ActiveClaim,
        reply: ReleaseAnswer,
        files: FileSet | None,
        seq: int,
        now: datetime,
    ) -> tuple[dict[str, Any], int | None]:
        """Carry out the answer; return the answer's detail and the claim granted, if any."""
        if reply.answer == "release":
            self.grants.end(tx, [row], "released", "release", seq, now, actor=reply.engineer)
            return {"released": [holder.id]}, None
        if reply.answer == "deny":
            return {"expires_at": records.iso(records.to_epoch(holder.expires_at))}, None
        if reply.answer == "narrow":
            return self._narrow(tx, req, row, holder, reply, files, seq, now), None
        return self._coexist(tx, req, holder, files, seq, now)

    def _narrow(
        self,
        tx: Tx,
        req: RequestRow,
        row: ClaimRow,
        holder: ActiveClaim,
        reply: ReleaseAnswer,
        files: FileSet | None,
        seq: int,
        now: datetime,
    ) -> dict[str, Any]:
        ctx = self.ctx
        detail: dict[str, Any] = {
            "previous_pattern": holder.pattern,
            "previous_symbols": list(holder.symbols),
        }
        if reply.keep_pattern is not None:
            pattern = narrower_pattern(holder, reply.keep_pattern)
            kept = tuple(c for c in holder.carved if matches(pattern, c.path))
            claim_rows.narrow_pattern(tx, holder.id, pattern, records.carves_to_json(kept), seq)
            narrowed = replace(holder, pattern=pattern, carved=kept)
        else:
            keep = self._narrower_symbols(holder, reply.keep_symbols or ())
            claim_rows.narrow_symbols(tx, holder.id, json.dumps(list(keep)), seq)
            narrowed = replace(holder, symbols=keep, carved=())
        detail.update(kept_pattern=narrowed.pattern, kept_symbols=list(narrowed.symbols))
        ctx.audit.event(
            tx,
            row.repo_id,
            "narrow",
            reply.engineer,
            holder.id,
            narrowed.pattern,
            now,
            {
                "request_id": req.id,
                **detail,
            },
        )
        wanted = ClaimItem(ClaimType.FILE, req.wanted_pattern, tuple(json.loads(req.wanted_symbols)))
        rules = rules_of(tx, row.repo_id)
        freed = blocked_by(req.requester, as_stored_type(wanted, rules), narrowed, files)
        detail["wanted_scope_free"] = freed is not None
        return detail

    def _narrower_symbols(self, holder: ActiveClaim, keep_symbols: tuple[str, ...]) -> tuple[str, ...]:
        if holder.type is not ClaimType.FILE or not globs.is_literal(holder.pattern):
            raise Invalid(
                f"keep_symbols needs a 'file' claim on one path; claim {holder.id} is "
                f"{holder.type.value} {holder.pattern!r}: narrow it with keep_pattern"
            )
        for symbol in keep_symbols:
            reason = symbols.validate(symbol)
            if reason:
                raise Invalid(f"keep_symbols: {reason}")
        keep = symbols.normalise(keep_symbols)
        if not keep:
            raise Invalid("keep_symbols must list at least one symbol; answer 'release' to give up everything")
        if holder.symbols:
            outside = [s for s in keep if not any(symbols.covers(h, s) for h in holder.symbols)]
            if outside:
                raise Invalid(
                    f"keep_symbols {outside} are not part of claim {holder.id} "
                    f"(it holds {list(holder.symbols)}): keep a subset"
                )
            if keep == holder.symbols:
                raise Invalid(
                    f"keep_symbols are all of claim {holder.id}'s symbols, so nothing is freed; "
                    "answer 'deny' to keep everything"
                )
        else:
            for carve in holder.carved:
                if any(symbols.collide(carve.symbol, s) for s in keep):
                    raise Invalid(
                        f"{carve.symbol} in {holder.pattern} is held by claim {carve.by}; "
                        "keep only symbols nobody else holds"
                    )
            self.ctx.check_symbols([ClaimItem(ClaimType.FILE, holder.pattern, keep)])
        return keep

    def _coexist(
        self,
        tx: Tx,
        req: RequestRow,
        holder: ActiveClaim,
        files: FileSet | None,
        seq: int,
        now: datetime,
    ) -> tuple[dict[str, Any], int]:
        ctx = self.ctx
        repo_id = req.repo_id
        book = ctx.books.cache(repo_id).book
        rules = rules_of(tx, repo_id)
        wanted = ClaimItem(ClaimType.FILE, req.wanted_pattern, tuple(json.loads(req.wanted_symbols)))
        item = as_stored_type(wanted, rules)
        problem = validation.item_problem(item, files, ctx.limits)
        if problem:
            raise Invalid(problem)
        live = ctx.liveness(tx, now)
        # The one waiver of a coexist answer: this holder no longer blocks the requester.
        scope = Context(overlap_function(files, strict=False), lambda c: c.id != holder.id and live(c))
        decision = decide_item(req.requester, item, book, scope)
        if decision.outcome is Outcome.CONFLICT:
            err = conflict_error([decision], rules, now)
            raise Conflict(f"cannot coexist: {err.detail}", **err.extra)
        grant = ClaimRequest(
            engineer=req.requester,
            items=[item],
            repo_id=repo_id,
            session_id=req.session_id,
            description=f"coexists with claim {holder.id} (release request {req.id})",
            ttl_hours=req.ttl_hours,
        )
        if decision.refreshes is not None:
            claim_id = self.grants.refresh(tx, decision.refreshes, grant, seq, now)
        else:
            claim_id = self.grants.insert(tx, grant, decision, seq, now)
            self.grants.link_partners(tx, grant, decision, claim_id, seq, now)
        self.grants.add_partner(tx, holder.id, claim_id, seq, carves=())
        self.grants.add_partner(tx, claim_id, holder.id, seq, carves=())
        return {"granted_claim": claim_id, "decision": decision.outcome.value}, claim_id
