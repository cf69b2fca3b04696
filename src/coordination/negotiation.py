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

Every change runs under the repo's write lock exactly like the claim use cases
of `ClaimService`, whose helpers this module drives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from coordination import records
from coordination.core import globs, lifetimes, narrowing, symbols, validation
from coordination.core.book import ClaimBook
from coordination.core.decisions import Context, decide_item
from coordination.core.files import FileSet, overlap_function
from coordination.core.model import ActiveClaim, ClaimItem, ClaimType, Outcome, Urgency
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.service import ClaimRequest, ClaimService
from coordination.store import Tx

ANSWERS = ("release", "narrow", "coexist", "deny")
STATES = ("open", "answered", "cancelled")
ROLES = ("holder", "requester")
URGENCIES = tuple(u.value for u in Urgency)
MAX_REASON = 2000
MAX_NOTE = 2000

REQUEST_COLUMNS = (
    "id, repo_id, claim_id, requester, holder, reason, urgency, wanted_pattern, wanted_symbols, "
    "session_id, ttl_hours, holder_expires_at, state, answer, answer_detail, created_at, answered_at"
)


@dataclass
class ReleaseAsk:
    """What a blocked requester sends. No pattern means the holder's whole pattern."""

    repo_id: str
    requester: str
    claim_id: int
    reason: str
    urgency: str = "normal"
    pattern: str | None = None
    symbols: tuple[str, ...] = ()
    session_id: str | None = None
    ttl_hours: float | None = None


@dataclass
class ReleaseAnswer:
    """What the holder sends back."""

    engineer: str
    answer: str
    keep_pattern: str | None = None
    keep_symbols: tuple[str, ...] | None = None
    note: str | None = None


class Negotiation:
    """Release-request use cases on top of one `ClaimService`."""

    def __init__(self, service: ClaimService) -> None:
        self.service = service

    # ------------------------------------------------------------------ ask

    def request_release(self, ask: ReleaseAsk) -> dict[str, Any]:
        svc = self.service
        svc._check_identity(ask.requester, ask.repo_id, ask.session_id)
        reason = _text(ask.reason, "reason", MAX_REASON, required=True)
        if ask.urgency not in URGENCIES:
            raise Invalid(f"urgency must be one of {', '.join(URGENCIES)}, not {ask.urgency!r}")
        problem = validation.ttl_problem(ask.ttl_hours, svc.limits)
        if problem:
            raise Invalid(problem)
        repo_id = svc._repo_of(ask.claim_id)
        if repo_id != ask.repo_id:
            raise NotFound(f"no claim with id {ask.claim_id} in repo {ask.repo_id!r}")
        files = svc._files()
        cache = svc._cache(repo_id)
        with cache.lock, svc.store.write(repo_id) as tx:
            seq = svc._advance(tx, repo_id, cache)
            now = svc._now(tx)
            row = _claim_row(tx, ask.claim_id)
            holder = records.to_active(row)
            if holder.engineer == ask.requester:
                raise Invalid(
                    f"claim {holder.id} is your own: release it (DELETE /claims/{holder.id}) "
                    "or claim something else; a release request goes to another holder"
                )
            self._require_live(tx, row, holder, now)
            wanted = self._wanted(ask, holder, files)
            rules = svc._ownership(tx, repo_id)
            blocked = _blocked_by(ask.requester, svc._as_stored_type(wanted, rules), holder, files)
            if blocked is not None:
                raise Invalid(
                    f"{_scope(wanted.pattern, wanted.symbols)} does not conflict with claim "
                    f"{holder.id} ({blocked}): claim it with POST /claims, no request needed"
                )
            duplicate = tx.scalar(
                "SELECT id FROM release_requests WHERE claim_id = ? AND requester = ? AND state = 'open'",
                (holder.id, ask.requester),
            )
            if duplicate is not None:
                raise Conflict(
                    f"you already asked: request {duplicate} on claim {holder.id} is still open",
                    request_id=int(duplicate),
                )
            stamp = records.to_epoch(now)
            before = records.to_epoch(holder.expires_at)
            # Several open requests on one claim remember the same pre-clamp expiry.
            earlier = tx.scalar(
                "SELECT MAX(holder_expires_at) AS m FROM release_requests WHERE claim_id = ? AND state = 'open'",
                (holder.id,),
            )
            original = max(before, float(earlier)) if earlier is not None else before
            clamped = records.to_epoch(lifetimes.clamp(holder.expires_at, now, svc.settings.request_ttl_short_sec))
            if clamped < before:
                tx.execute("UPDATE claims SET expires_at = ?, seq = ? WHERE id = ?", (clamped, seq, holder.id))
            request_id = int(
                tx.scalar(
                    "INSERT INTO release_requests (repo_id, claim_id, requester, holder, reason, urgency,"
                    " wanted_pattern, wanted_symbols, session_id, ttl_hours, holder_expires_at, state,"
                    " answer_detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', '{}', ?)"
                    " RETURNING id",
                    (
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
                    ),
                )
            )
            expires_at = min(before, clamped)
            svc._event(
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
            svc._notice(
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
                        f"{ask.requester} asks you to release {_scope(holder.pattern, holder.symbols)} "
                        f"({ask.urgency}): {reason}. Your claim now ends at {records.iso(expires_at)}; "
                        "answer release, narrow, coexist or deny"
                    ),
                },
            )
            return self._present(tx, self._row(tx, request_id), now)

    def _wanted(self, ask: ReleaseAsk, holder: ActiveClaim, files: FileSet | None) -> ClaimItem:
        pattern = ask.pattern or holder.pattern
        item = ClaimItem(ClaimType.FILE, pattern, tuple(ask.symbols))
        problem = validation.item_problem(item, files, self.service.limits)
        if problem:
            raise Invalid(problem)
        self.service._check_symbols([item])
        return ClaimItem(ClaimType.FILE, pattern, symbols.normalise(item.symbols))

    # --------------------------------------------------------------- answer

    def respond(self, request_id: int, reply: ReleaseAnswer) -> dict[str, Any]:
        svc = self.service
        svc._check_identity(reply.engineer, None, None)
        _check_answer_shape(reply)
        note = _text(reply.note, "note", MAX_NOTE)
        repo_id = self._repo_of_request(request_id)
        files = svc._files()
        cache = svc._cache(repo_id)
        gone: str | None = None
        out: dict[str, Any] = {}
        with cache.lock, svc.store.write(repo_id) as tx:
            seq = svc._advance(tx, repo_id, cache)
            now = svc._now(tx)
            req = self._row(tx, request_id)
            if reply.engineer != req["holder"]:
                raise Forbidden(f"request {request_id} is addressed to {req['holder']}; only the holder answers it")
            _require_open(req)
            row = _claim_row(tx, req["claim_id"])
            holder = records.to_active(row)
            gone = self._ended(tx, row, holder, now)
            if gone is not None:
                # The claim ended before an answer: nothing left to negotiate.
                self._close(tx, req, "cancelled", None, {"reason": f"claim {holder.id} {gone}"}, now)
            else:
                detail, granted = self._apply(tx, req, row, holder, reply, files, seq, now)
                if note:
                    detail["note"] = note
                self._finish(tx, req, reply.answer, detail, now)
                if reply.answer == "release":
                    self._answer_others(tx, req, holder, now)
                if reply.answer in ("narrow", "coexist"):
                    self._restore_ttl(tx, req, seq, now)
                out = self._present(tx, self._row(tx, request_id), now)
                out["granted"] = _claim_api(tx, granted, now) if granted is not None else None
        if gone is not None:
            raise Conflict(
                f"claim {req['claim_id']} is no longer active ({gone}); request {request_id} is cancelled",
                state=gone,
            )
        return out

    def _apply(
        self,
        tx: Tx,
        req: dict[str, Any],
        row: dict[str, Any],
        holder: ActiveClaim,
        reply: ReleaseAnswer,
        files: FileSet | None,
        seq: int,
        now: datetime,
    ) -> tuple[dict[str, Any], int | None]:
        """Carry out the answer; return the answer's detail and the claim granted, if any."""
        svc = self.service
        if reply.answer == "release":
            svc._end(tx, [row], "released", "release", seq, now, actor=reply.engineer)
            return {"released": [holder.id]}, None
        if reply.answer == "deny":
            return {"expires_at": records.iso(records.to_epoch(holder.expires_at))}, None
        if reply.answer == "narrow":
            return self._narrow(tx, req, row, holder, reply, files, seq, now), None
        return self._coexist(tx, req, holder, files, seq, now)

    def _narrow(
        self,
        tx: Tx,
        req: dict[str, Any],
        row: dict[str, Any],
        holder: ActiveClaim,
        reply: ReleaseAnswer,
        files: FileSet | None,
        seq: int,
        now: datetime,
    ) -> dict[str, Any]:
        svc = self.service
        detail: dict[str, Any] = {
            "previous_pattern": holder.pattern,
            "previous_symbols": list(holder.symbols),
        }
        if reply.keep_pattern is not None:
            pattern = self._narrower_pattern(holder, reply.keep_pattern)
            kept = tuple(c for c in holder.carved if _matches(pattern, c.path))
            tx.execute(
                "UPDATE claims SET pattern = ?, carved = ?, seq = ? WHERE id = ?",
                (pattern, records.carves_to_json(kept), seq, holder.id),
            )
            narrowed = replace(holder, pattern=pattern, carved=kept)
        else:
            keep = self._narrower_symbols(holder, reply.keep_symbols or ())
            tx.execute(
                "UPDATE claims SET symbols = ?, carved = '[]', seq = ? WHERE id = ?",
                (json.dumps(list(keep)), seq, holder.id),
            )
            narrowed = replace(holder, symbols=keep, carved=())
        detail.update(kept_pattern=narrowed.pattern, kept_symbols=list(narrowed.symbols))
        svc._event(
            tx,
            row["repo_id"],
            "narrow",
            reply.engineer,
            holder.id,
            narrowed.pattern,
            now,
            {
                "request_id": req["id"],
                **detail,
            },
        )
        wanted = ClaimItem(ClaimType.FILE, req["wanted_pattern"], tuple(json.loads(req["wanted_symbols"])))
        rules = svc._ownership(tx, row["repo_id"])
        freed = _blocked_by(req["requester"], svc._as_stored_type(wanted, rules), narrowed, files)
        detail["wanted_scope_free"] = freed is not None
        return detail

    def _narrower_pattern(self, holder: ActiveClaim, keep: str) -> str:
        if holder.symbols:
            raise Invalid(f"claim {holder.id} holds symbols of one file; narrow it with keep_symbols")
        pattern = globs.module_pattern(keep) if holder.type is ClaimType.MODULE else keep
        reason = globs.validate(pattern)
        if reason:
            raise Invalid(f"invalid keep_pattern {keep!r}: {reason}")
        if not narrowing.covers(holder.pattern, pattern):
            raise Invalid(
                f"keep_pattern {keep!r} is not inside the claim's pattern {holder.pattern!r}: "
                "keep a sub-path or sub-glob of it (for example a sub-directory's '/**' or one file)"
            )
        if narrowing.covers(pattern, holder.pattern):
            raise Invalid(
                f"keep_pattern {keep!r} covers the same paths as {holder.pattern!r}, so nothing is "
                "freed; answer 'deny' to keep everything"
            )
        return pattern

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
            self.service._check_symbols([ClaimItem(ClaimType.FILE, holder.pattern, keep)])
        return keep

    def _coexist(
        self,
        tx: Tx,
        req: dict[str, Any],
        holder: ActiveClaim,
        files: FileSet | None,
        seq: int,
        now: datetime,
    ) -> tuple[dict[str, Any], int]:
        svc = self.service
        repo_id = req["repo_id"]
        cache = svc._cache(repo_id)
        rules = svc._ownership(tx, repo_id)
        wanted = ClaimItem(ClaimType.FILE, req["wanted_pattern"], tuple(json.loads(req["wanted_symbols"])))
        item = svc._as_stored_type(wanted, rules)
        problem = validation.item_problem(item, files, svc.limits)
        if problem:
            raise Invalid(problem)
        live = svc._liveness(tx, now)
        # The one waiver of a coexist answer: this holder no longer blocks the requester.
        ctx = Context(overlap_function(files, strict=False), lambda c: c.id != holder.id and live(c))
        decision = decide_item(req["requester"], item, cache.book, ctx)
        if decision.outcome is Outcome.CONFLICT:
            err = svc._conflict_error([decision], rules, now)
            raise Conflict(f"cannot coexist: {err.detail}", **err.extra)
        grant = ClaimRequest(
            engineer=req["requester"],
            items=[item],
            repo_id=repo_id,
            session_id=req["session_id"],
            description=f"coexists with claim {holder.id} (release request {req['id']})",
            ttl_hours=req["ttl_hours"],
        )
        if decision.refreshes is not None:
            claim_id = svc._refresh(tx, decision.refreshes, grant, seq, now)
        else:
            claim_id = svc._insert(tx, grant, decision, seq, now)
            svc._link_partners(tx, grant, decision, claim_id, seq, now)
        svc._add_partner(tx, holder.id, claim_id, seq, carves=())
        svc._add_partner(tx, claim_id, holder.id, seq, carves=())
        return {"granted_claim": claim_id, "decision": decision.outcome.value}, claim_id

    # ------------------------------------------------------------- cancel

    def cancel(self, request_id: int, engineer: str) -> dict[str, Any]:
        """The requester withdraws an open request; the holder's TTL clamp is lifted."""
        svc = self.service
        svc._check_identity(engineer, None, None)
        repo_id = self._repo_of_request(request_id)
        cache = svc._cache(repo_id)
        with cache.lock, svc.store.write(repo_id) as tx:
            seq = svc._advance(tx, repo_id, cache)
            now = svc._now(tx)
            req = self._row(tx, request_id)
            if engineer != req["requester"]:
                raise Forbidden(f"request {request_id} was filed by {req['requester']}; only the requester cancels it")
            _require_open(req)
            self._close(tx, req, "cancelled", None, {"reason": f"cancelled by {engineer}"}, now)
            svc._event(
                tx,
                repo_id,
                "release-cancel",
                engineer,
                req["claim_id"],
                req["wanted_pattern"],
                now,
                {"request_id": request_id, "holder": req["holder"]},
            )
            self._restore_ttl(tx, req, seq, now)
            svc._notice(
                tx,
                repo_id,
                req["holder"],
                "release-cancel",
                req["claim_id"],
                now,
                {
                    "request_id": request_id,
                    "requester": engineer,
                    "message": f"{engineer} withdrew release request {request_id}; no answer needed",
                },
            )
            return self._present(tx, self._row(tx, request_id), now)

    # -------------------------------------------------------------- reads

    def get(self, request_id: int) -> dict[str, Any]:
        with self.service.store.read() as tx:
            row = tx.one(f"SELECT {REQUEST_COLUMNS} FROM release_requests WHERE id = ?", (request_id,))
            if row is None:
                raise NotFound(f"no release request with id {request_id}")
            return self._present(tx, row, self.service.clock())

    def list(
        self,
        repo_id: str | None = None,
        engineer: str | None = None,
        role: str | None = None,
        state: str | None = None,
        limit: int = 200,
        before: int | None = None,
    ) -> list[dict[str, Any]]:
        """Release requests, newest first; `before` lists only requests with a smaller id."""
        self.service._check_identity(engineer, repo_id, None)
        if role is not None and role not in ROLES:
            raise Invalid(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if role is not None and not engineer:
            raise Invalid("role needs engineer: whose requests, as holder or as requester?")
        if state is not None and state not in STATES:
            raise Invalid(f"state must be one of {', '.join(STATES)}, not {state!r}")
        where: list[str] = []
        params: list[Any] = []
        if repo_id:
            where.append("repo_id = ?")
            params.append(repo_id)
        if engineer and role:
            where.append(f"{role} = ?")
            params.append(engineer)
        elif engineer:
            where.append("(holder = ? OR requester = ?)")
            params += [engineer, engineer]
        if state == "answered":
            where.append("state = 'answered'")
        elif state is not None:
            # An open request whose claim has ended is shown as cancelled.
            where.append("state IN ('open', 'cancelled')")
        if before is not None:
            where.append("id < ?")
            params.append(before)
        sql = f"SELECT {REQUEST_COLUMNS} FROM release_requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        now = self.service.clock()
        out: list[dict[str, Any]] = []
        with self.service.store.read() as tx:
            rows = tx.all(sql, params)
            claims = _claims(tx, [r["claim_id"] for r in rows])
            for row in rows:
                item = _present(row, claims.get(row["claim_id"]), now)
                if state is None or item["state"] == state:
                    out.append(item)
                    if len(out) >= limit:
                        break
        return out

    # ------------------------------------------------------------ helpers

    def _repo_of_request(self, request_id: int) -> str:
        with self.service.store.read() as tx:
            repo_id = tx.scalar("SELECT repo_id FROM release_requests WHERE id = ?", (request_id,))
        if repo_id is None:
            raise NotFound(f"no release request with id {request_id}")
        return str(repo_id)

    def _row(self, tx: Tx, request_id: int) -> dict[str, Any]:
        row = tx.one(f"SELECT {REQUEST_COLUMNS} FROM release_requests WHERE id = ?", (request_id,))
        if row is None:
            raise NotFound(f"no release request with id {request_id}")
        return row

    def _present(self, tx: Tx, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        return _present(row, _claims(tx, [row["claim_id"]]).get(row["claim_id"]), now)

    def _require_live(self, tx: Tx, row: dict[str, Any], claim: ActiveClaim, now: datetime) -> None:
        ended = self._ended(tx, row, claim, now)
        if ended is not None:
            raise Conflict(
                f"claim {claim.id} is no longer active ({ended}): its scope is free unless someone "
                "else claimed it; claim it with POST /claims",
                state=ended,
            )

    def _ended(self, tx: Tx, row: dict[str, Any], claim: ActiveClaim, now: datetime) -> str | None:
        """None while the claim holds; else how it ended (released, expired, idle_expired)."""
        state = records.present_state(row, records.to_epoch(now))
        if state != "active":
            return state
        if not self.service._liveness(tx, now)(claim):
            return "idle_expired"
        return None

    def _finish(self, tx: Tx, req: dict[str, Any], answer: str, detail: dict[str, Any], now: datetime) -> None:
        """Mark the request answered, audit it and tell the requester."""
        svc = self.service
        self._close(tx, req, "answered", answer, detail, now)
        svc._event(
            tx,
            req["repo_id"],
            "release-answer",
            req["holder"],
            req["claim_id"],
            req["wanted_pattern"],
            now,
            {"request_id": req["id"], "answer": answer, "requester": req["requester"], **detail},
        )
        svc._notice(
            tx,
            req["repo_id"],
            req["requester"],
            "release-answer",
            req["claim_id"],
            now,
            {
                "request_id": req["id"],
                "answer": answer,
                "holder": req["holder"],
                "answer_detail": detail,
                "message": _answer_message(req, answer, detail),
            },
        )

    def _close(
        self, tx: Tx, req: dict[str, Any], state: str, answer: str | None, detail: dict[str, Any], now: datetime
    ) -> None:
        tx.execute(
            "UPDATE release_requests SET state = ?, answer = ?, answer_detail = ?, answered_at = ? WHERE id = ?",
            (state, answer, json.dumps(detail), records.to_epoch(now), req["id"]),
        )

    def _answer_others(self, tx: Tx, req: dict[str, Any], holder: ActiveClaim, now: datetime) -> None:
        """Releasing the claim answers every other open request on it too."""
        others = tx.all(
            f"SELECT {REQUEST_COLUMNS} FROM release_requests WHERE claim_id = ? AND state = 'open' AND id <> ?",
            (holder.id, req["id"]),
        )
        for other in others:
            self._finish(tx, other, "release", {"released": [holder.id], "answered_with": req["id"]}, now)

    def _restore_ttl(self, tx: Tx, req: dict[str, Any], seq: int, now: datetime) -> None:
        """Give the holder its pre-clamp expiry back once no request on the claim is open.

        Only a claim that still holds: an expired one is never brought back.
        """
        still_open = tx.scalar(
            "SELECT COUNT(*) AS n FROM release_requests WHERE claim_id = ? AND state = 'open'",
            (req["claim_id"],),
        )
        if int(still_open or 0):
            return
        tx.execute(
            "UPDATE claims SET expires_at = ?, seq = ? WHERE id = ? AND state = 'active'"
            " AND expires_at < ? AND expires_at > ?",
            (req["holder_expires_at"], seq, req["claim_id"], req["holder_expires_at"], records.to_epoch(now)),
        )


# ---------------------------------------------------------------- functions


def _text(value: str | None, name: str, limit: int, required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(f"{name} must not be empty: tell the holder why you need the scope")
    if len(text) > limit:
        raise Invalid(f"{name} must be at most {limit} characters")
    return text or None


def _check_answer_shape(reply: ReleaseAnswer) -> None:
    if reply.answer not in ANSWERS:
        raise Invalid(f"answer must be one of {', '.join(ANSWERS)}, not {reply.answer!r}")
    keeps = [
        k for k, v in (("keep_pattern", reply.keep_pattern), ("keep_symbols", reply.keep_symbols)) if v is not None
    ]
    if reply.answer != "narrow" and keeps:
        raise Invalid(f"{' and '.join(keeps)} only go with answer 'narrow'")
    if reply.answer == "narrow" and len(keeps) != 1:
        raise Invalid("answer 'narrow' needs exactly one of keep_pattern or keep_symbols: the part you keep")


def _require_open(req: dict[str, Any]) -> None:
    if req["state"] == "answered":
        raise Conflict(
            f"request {req['id']} was already answered ({req['answer']}) at {records.iso(req['answered_at'])}",
            answer=req["answer"],
        )
    if req["state"] != "open":
        raise Conflict(f"request {req['id']} is {req['state']}; nothing to do", state=req["state"])


def _claim_row(tx: Tx, claim_id: int) -> dict[str, Any]:
    row = tx.one(f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE id = ?", (claim_id,))
    if row is None:
        raise NotFound(f"no claim with id {claim_id}")
    return row


def _claims(tx: Tx, ids: list[int]) -> dict[int, dict[str, Any]]:
    unique = sorted(set(ids))
    if not unique:
        return {}
    marks = ", ".join("?" * len(unique))
    rows = tx.all(f"SELECT {records.CLAIM_COLUMNS} FROM claims WHERE id IN ({marks})", unique)
    return {r["id"]: r for r in rows}


def _claim_api(tx: Tx, claim_id: int, now: datetime) -> dict[str, Any]:
    return records.to_api(_claim_row(tx, claim_id), records.to_epoch(now))


def _blocked_by(requester: str, item: ClaimItem, holder: ActiveClaim, files: FileSet | None) -> str | None:
    """None when `holder` blocks `item`; else the engine's outcome without it."""
    ctx = Context(overlap_function(files, strict=False), lambda c: True)
    decision = decide_item(requester, item, ClaimBook([holder]), ctx)
    return None if decision.outcome is Outcome.CONFLICT else decision.outcome.value


def _matches(pattern: str, path: str) -> bool:
    try:
        return globs.matches(pattern, path)
    except globs.GlobError:
        return False


def _scope(pattern: str, syms: tuple[str, ...] | list[str]) -> str:
    return pattern + (f" [{', '.join(syms)}]" if syms else "")


def _answer_message(req: dict[str, Any], answer: str, detail: dict[str, Any]) -> str:
    who = req["holder"]
    if answer == "release":
        return f"{who} released claim {req['claim_id']}: claim {req['wanted_pattern']} now"
    if answer == "deny":
        return (
            f"{who} keeps claim {req['claim_id']} (deny); it ends at {detail['expires_at']} "
            "unless extended: wait, queue, or claim something else"
        )
    if answer == "coexist":
        return (
            f"{who} lets you work beside claim {req['claim_id']}: claim {detail['granted_claim']} "
            "is yours, cross-referenced with theirs"
        )
    kept = _scope(detail["kept_pattern"], detail["kept_symbols"])
    if detail.get("wanted_scope_free"):
        return f"{who} narrowed claim {req['claim_id']} to {kept}: your scope is free, claim it now"
    return f"{who} narrowed claim {req['claim_id']} to {kept}, which still overlaps what you asked for"


def _present(row: dict[str, Any], claim_row: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    stamp = records.to_epoch(now)
    claim = records.to_api(claim_row, stamp) if claim_row else None
    state = row["state"]
    detail = json.loads(row["answer_detail"] or "{}")
    if state == "open" and (claim is None or claim["state"] != "active"):
        state = "cancelled"
        detail = {"reason": f"claim {row['claim_id']} {claim['state'] if claim else 'is gone'}"}
    return {
        "id": row["id"],
        "repo_id": row["repo_id"],
        "claim_id": row["claim_id"],
        "requester": row["requester"],
        "holder": row["holder"],
        "reason": row["reason"],
        "urgency": row["urgency"],
        "wanted_pattern": row["wanted_pattern"],
        "wanted_symbols": json.loads(row["wanted_symbols"]),
        "state": state,
        "answer": row["answer"],
        "answer_detail": detail,
        "created_at": records.iso(row["created_at"]),
        "answered_at": records.iso(row["answered_at"]),
        "claim": claim,
    }
