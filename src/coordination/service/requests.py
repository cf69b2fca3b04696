"""Release requests: negotiation between a blocked requester and a holder.

A requester refused by a claim asks its holder to give up scope, with a reason
and an urgency. Filing the request clamps the holder's remaining TTL to
`COORD_REQUEST_TTL_SHORT_SEC`, so a silent holder cannot sit on the scope,
and leaves the holder a `release-request` notice. The holder answers:

- `release`: the claim ends; every open request on it is answered `release`.
- `narrow`: the claim keeps part of its scope, either a narrower pattern
  inside the old one (`keep_pattern`) or fewer symbols (`keep_symbols`).
- `coexist`: the requester's wanted scope is granted as a claim cross-referenced
  with the holder's (`coexists_with`); only the conflict with this holder is
  waived, every other active claim is still checked.
- `deny`: nothing changes and the TTL clamp stays.

A cooperative answer (`narrow`, `coexist`), like the requester cancelling,
gives the holder its pre-clamp expiry back once no other request on the claim
is open. The requester sees the answer as a `release-answer` notice on its
next call and in `GET /requests/{id}`. Every step is a request_event row.

Every change runs in a `RepoWrite` of the claim's repo, like the claim use cases.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from coordination import records
from coordination.core import lifetimes, symbols, validation
from coordination.core.files import FileSet
from coordination.core.model import ActiveClaim, ClaimItem, ClaimType
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.service.context import ServiceContext, check_identity
from coordination.service.grants import Grants, repo_of_claim
from coordination.service.records import AnsweredRequest, ReleaseRequest, request_fields
from coordination.service.request_answers import (
    MAX_NOTE,
    MAX_REASON,
    ROLES,
    STATES,
    URGENCIES,
    ReleaseAnswer,
    ReleaseAsk,
    answer_message,
    blocked_by,
    check_answer_shape,
    claim_api,
    claim_row,
    claims_of,
    present_request,
    require_open,
    scope_text,
    text_field,
)
from coordination.service.request_effects import AnswerEffects
from coordination.service.rules import as_stored_type, rules_of
from coordination.service.uow import RepoWrite
from coordination.store import Tx
from coordination.store import claims as claim_rows
from coordination.store import requests as request_rows
from coordination.store.rows import ClaimRow, RequestRow

__all__ = ["Negotiation", "ReleaseAnswer", "ReleaseAsk", "ReleaseRequests"]


class Negotiation:
    """Release-request use cases (one instance per `Coordinator`)."""

    def __init__(self, ctx: ServiceContext, grants: Grants) -> None:
        self.ctx = ctx
        self.grants = grants
        self.effects = AnswerEffects(ctx, grants)

    # ------------------------------------------------------------------ ask

    def request_release(self, ask: ReleaseAsk) -> ReleaseRequest:
        ctx = self.ctx
        check_identity(ask.requester, ask.repo_id, ask.session_id)
        reason = text_field(ask.reason, "reason", MAX_REASON, required=True)
        assert reason is not None  # required
        if ask.urgency not in URGENCIES:
            raise Invalid(f"urgency must be one of {', '.join(URGENCIES)}, not {ask.urgency!r}")
        problem = validation.ttl_problem(ask.ttl_hours, ctx.limits)
        if problem:
            raise Invalid(problem)
        repo_id = repo_of_claim(ctx.store, ask.claim_id)
        if repo_id != ask.repo_id:
            raise NotFound(f"no claim with id {ask.claim_id} in repo {ask.repo_id!r}")
        files = ctx.files()
        with RepoWrite(ctx, repo_id, files) as w:
            tx, seq, now = w.tx, w.seq, w.now
            row = claim_row(tx, ask.claim_id)
            holder = records.to_active(row)
            if holder.engineer == ask.requester:
                raise Invalid(
                    f"claim {holder.id} is your own: release it (DELETE /claims/{holder.id}) "
                    "or claim something else; a release request goes to another holder"
                )
            self._require_live(tx, row, holder, now)
            wanted = self._wanted(ask, holder, files)
            rules = rules_of(tx, repo_id)
            blocked = blocked_by(ask.requester, as_stored_type(wanted, rules), holder, files)
            if blocked is not None:
                raise Invalid(
                    f"{scope_text(wanted.pattern, wanted.symbols)} does not conflict with claim "
                    f"{holder.id} ({blocked}): claim it with POST /claims, no request needed"
                )
            duplicate = request_rows.open_by(tx, holder.id, ask.requester)
            if duplicate is not None:
                raise Conflict(
                    f"you already asked: request {duplicate} on claim {holder.id} is still open",
                    request_id=duplicate,
                )
            stamp = records.to_epoch(now)
            before = records.to_epoch(holder.expires_at)
            # Several open requests on one claim remember the same pre-clamp expiry.
            earlier = request_rows.latest_open_expiry(tx, holder.id)
            original = max(before, earlier) if earlier is not None else before
            clamped = records.to_epoch(lifetimes.clamp(holder.expires_at, now, ctx.settings.request_ttl_short_sec))
            if clamped < before:
                claim_rows.set_expiry(tx, holder.id, clamped, seq)
            request_id = request_rows.insert(
                tx,
                repo_id,
                holder.id,
                ask.requester,
                holder.engineer,
                reason,
                ask.urgency,
                wanted.pattern,
                json.dumps(list(wanted.symbols)),
                ask.session_id,
                ask.ttl_hours,
                original,
                stamp,
            )
            expires_at = min(before, clamped)
            ctx.audit.event(
                tx,
                repo_id,
                "release-request",
                ask.requester,
                holder.id,
                holder.pattern,
                now,
                {
                    "request_id": request_id,
                    "holder": holder.engineer,
                    "urgency": ask.urgency,
                    "reason": reason,
                    "wanted_pattern": wanted.pattern,
                    "wanted_symbols": list(wanted.symbols),
                    "expires_before": records.iso(before),
                    "expires_after": records.iso(expires_at),
                },
            )
            ctx.audit.notice(
                tx,
                repo_id,
                holder.engineer,
                "release-request",
                holder.id,
                now,
                {
                    "request_id": request_id,
                    "requester": ask.requester,
                    "reason": reason,
                    "urgency": ask.urgency,
                    "pattern": holder.pattern,
                    "wanted_pattern": wanted.pattern,
                    "wanted_symbols": list(wanted.symbols),
                    "expires_at": records.iso(expires_at),
                    "respond": f"POST /requests/{request_id}/respond",
                    "message": (
                        f"{ask.requester} asks you to release {scope_text(holder.pattern, holder.symbols)} "
                        f"({ask.urgency}): {reason}. Your claim now ends at {records.iso(expires_at)}; "
                        "answer release, narrow, coexist or deny"
                    ),
                },
            )
            return self._present(tx, self._row(tx, request_id), now)

    def _wanted(self, ask: ReleaseAsk, holder: ActiveClaim, files: FileSet | None) -> ClaimItem:
        pattern = ask.pattern or holder.pattern
        item = ClaimItem(ClaimType.FILE, pattern, tuple(ask.symbols))
        problem = validation.item_problem(item, files, self.ctx.limits)
        if problem:
            raise Invalid(problem)
        self.ctx.check_symbols([item])
        return ClaimItem(ClaimType.FILE, pattern, symbols.normalise(item.symbols))

    # --------------------------------------------------------------- answer

    def respond(self, request_id: int, reply: ReleaseAnswer) -> AnsweredRequest:
        ctx = self.ctx
        check_identity(reply.engineer, None, None)
        check_answer_shape(reply)
        note = text_field(reply.note, "note", MAX_NOTE)
        repo_id = self._repo_of_request(request_id)
        files = ctx.files()
        gone: str | None = None
        out: AnsweredRequest | None = None
        with RepoWrite(ctx, repo_id, files) as w:
            tx, seq, now = w.tx, w.seq, w.now
            req = self._row(tx, request_id)
            if reply.engineer != req.holder:
                raise Forbidden(f"request {request_id} is addressed to {req.holder}; only the holder answers it")
            require_open(req)
            row = claim_row(tx, req.claim_id)
            holder = records.to_active(row)
            gone = self._ended(tx, row, holder, now)
            if gone is not None:
                # The claim ended before an answer: nothing left to negotiate.
                self._close(tx, req, "cancelled", None, {"reason": f"claim {holder.id} {gone}"}, now)
            else:
                detail, granted = self.effects.apply(tx, req, row, holder, reply, files, seq, now)
                if note:
                    detail["note"] = note
                self._finish(tx, req, reply.answer, detail, now)
                if reply.answer == "release":
                    self._answer_others(tx, req, holder, now)
                if reply.answer in ("narrow", "coexist"):
                    self._restore_ttl(tx, req, seq, now)
                shown = self._present(tx, self._row(tx, request_id), now)
                granted_claim = claim_api(tx, granted, now) if granted is not None else None
                out = AnsweredRequest(**request_fields(shown), granted=granted_claim)
        if gone is not None:
            raise Conflict(
                f"claim {req.claim_id} is no longer active ({gone}); request {request_id} is cancelled",
                state=gone,
            )
        assert out is not None
        return out

    # ------------------------------------------------------------- cancel

    def cancel(self, request_id: int, engineer: str) -> ReleaseRequest:
        """The requester withdraws an open request; the holder's TTL clamp is lifted."""
        ctx = self.ctx
        check_identity(engineer, None, None)
        repo_id = self._repo_of_request(request_id)
        with RepoWrite(ctx, repo_id) as w:
            tx, seq, now = w.tx, w.seq, w.now
            req = self._row(tx, request_id)
            if engineer != req.requester:
                raise Forbidden(f"request {request_id} was filed by {req.requester}; only the requester cancels it")
            require_open(req)
            self._close(tx, req, "cancelled", None, {"reason": f"cancelled by {engineer}"}, now)
            ctx.audit.event(
                tx,
                repo_id,
                "release-cancel",
                engineer,
                req.claim_id,
                req.wanted_pattern,
                now,
                {"request_id": request_id, "holder": req.holder},
            )
            self._restore_ttl(tx, req, seq, now)
            ctx.audit.notice(
                tx,
                repo_id,
                req.holder,
                "release-cancel",
                req.claim_id,
                now,
                {
                    "request_id": request_id,
                    "requester": engineer,
                    "message": f"{engineer} withdrew release request {request_id}; no answer needed",
                },
            )
            return self._present(tx, self._row(tx, request_id), now)

    # -------------------------------------------------------------- reads

    def get(self, request_id: int) -> ReleaseRequest:
        with self.ctx.store.read() as tx:
            return self._present(tx, self._row(tx, request_id), self.ctx.clock())

    def list(
        self,
        repo_id: str | None = None,
        engineer: str | None = None,
        role: str | None = None,
        state: str | None = None,
        limit: int = 200,
        before: int | None = None,
    ) -> list[ReleaseRequest]:
        """Release requests, newest first; `before` lists only requests with a smaller id."""
        check_identity(engineer, repo_id, None)
        if role is not None and role not in ROLES:
            raise Invalid(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if role is not None and not engineer:
            raise Invalid("role needs engineer: whose requests, as holder or as requester?")
        if state is not None and state not in STATES:
            raise Invalid(f"state must be one of {', '.join(STATES)}, not {state!r}")
        stored: tuple[str, ...] | None = None
        if state == "answered":
            stored = ("answered",)
        elif state is not None:
            # An open request whose claim has ended is shown as cancelled.
            stored = ("open", "cancelled")
        now = self.ctx.clock()
        out: list[ReleaseRequest] = []
        with self.ctx.store.read() as tx:
            rows = request_rows.listing(tx, repo_id, engineer, role, stored, before)
            claims = claims_of(tx, [r.claim_id for r in rows])
            for row in rows:
                item = present_request(row, claims.get(row.claim_id), now)
                if state is None or item.state == state:
                    out.append(item)
                    if len(out) >= limit:
                        break
        return out

    # ------------------------------------------------------------ helpers

    def _repo_of_request(self, request_id: int) -> str:
        with self.ctx.store.read() as tx:
            repo_id = request_rows.repo_of(tx, request_id)
        if repo_id is None:
            raise NotFound(f"no release request with id {request_id}")
        return repo_id

    def _row(self, tx: Tx, request_id: int) -> RequestRow:
        row = request_rows.by_id(tx, request_id)
        if row is None:
            raise NotFound(f"no release request with id {request_id}")
        return row

    def _present(self, tx: Tx, row: RequestRow, now: datetime) -> ReleaseRequest:
        return present_request(row, claims_of(tx, [row.claim_id]).get(row.claim_id), now)

    def _require_live(self, tx: Tx, row: ClaimRow, claim: ActiveClaim, now: datetime) -> None:
        ended = self._ended(tx, row, claim, now)
        if ended is not None:
            raise Conflict(
                f"claim {claim.id} is no longer active ({ended}): its scope is free unless someone "
                "else claimed it; claim it with POST /claims",
                state=ended,
            )

    def _ended(self, tx: Tx, row: ClaimRow, claim: ActiveClaim, now: datetime) -> str | None:
        """None while the claim holds; else how it ended (released, expired, idle_expired)."""
        state = records.present_state(row, records.to_epoch(now))
        if state != "active":
            return state
        if not self.ctx.liveness(tx, now)(claim):
            return "idle_expired"
        return None

    def _finish(self, tx: Tx, req: RequestRow, answer: str, detail: dict[str, Any], now: datetime) -> None:
        """Mark the request answered, audit it and tell the requester."""
        ctx = self.ctx
        self._close(tx, req, "answered", answer, detail, now)
        ctx.audit.event(
            tx,
            req.repo_id,
            "release-answer",
            req.holder,
            req.claim_id,
            req.wanted_pattern,
            now,
            {"request_id": req.id, "answer": answer, "requester": req.requester, **detail},
        )
        ctx.audit.notice(
            tx,
            req.repo_id,
            req.requester,
            "release-answer",
            req.claim_id,
            now,
            {
                "request_id": req.id,
                "answer": answer,
                "holder": req.holder,
                "answer_detail": detail,
                "message": answer_message(req, answer, detail),
            },
        )

    def _close(
        self, tx: Tx, req: RequestRow, state: str, answer: str | None, detail: dict[str, Any], now: datetime
    ) -> None:
        request_rows.close(tx, req.id, state, answer, json.dumps(detail), records.to_epoch(now))

    def _answer_others(self, tx: Tx, req: RequestRow, holder: ActiveClaim, now: datetime) -> None:
        """Releasing the claim answers every other open request on it too."""
        others = request_rows.others_open_on(tx, holder.id, req.id)
        for other in others:
            self._finish(tx, other, "release", {"released": [holder.id], "answered_with": req.id}, now)

    def _restore_ttl(self, tx: Tx, req: RequestRow, seq: int, now: datetime) -> None:
        """Give the holder its pre-clamp expiry back once no request on the claim is open.

        Only a claim that still holds: an expired one is never brought back.
        """
        if request_rows.count_open_on(tx, req.claim_id):
            return
        claim_rows.restore_expiry(tx, req.claim_id, req.holder_expires_at, seq, records.to_epoch(now))


# The name the API, CLI and docs use for these use cases.
ReleaseRequests = Negotiation
