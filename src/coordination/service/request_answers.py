"""Release requests as stored and shown: what is asked and answered, how an answer is
checked, and the messages each side is told."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coordination import records
from coordination.core import globs, narrowing
from coordination.core.book import ClaimBook
from coordination.core.decisions import Context, decide_item
from coordination.core.files import FileSet, overlap_function
from coordination.core.limits import MAX_NOTE_LENGTH as MAX_NOTE
from coordination.core.limits import MAX_REASON_LENGTH as MAX_REASON
from coordination.core.model import ActiveClaim, ClaimItem, ClaimType, Outcome, Urgency
from coordination.core.vocabulary import Answer, RequestState, Role
from coordination.errors import Conflict, Invalid, NotFound
from coordination.service.records import Claim, ReleaseRequest, claim_from_row
from coordination.store import Tx
from coordination.store import claims as claim_rows
from coordination.store.rows import ClaimRow, RequestRow
from coordination.store.tables import REQUEST_COLUMNS

__all__ = [
    "ANSWERS",
    "MAX_NOTE",
    "MAX_REASON",
    "REQUEST_COLUMNS",
    "ROLES",
    "STATES",
    "URGENCIES",
    "ReleaseAnswer",
    "ReleaseAsk",
    "answer_message",
    "blocked_by",
    "check_answer_shape",
    "claim_api",
    "claim_row",
    "claims_of",
    "matches",
    "narrower_pattern",
    "present_request",
    "require_open",
    "scope_text",
    "text_field",
]

ANSWERS = tuple(Answer)
STATES = tuple(RequestState)
ROLES = tuple(Role)
URGENCIES = tuple(u.value for u in Urgency)


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


def narrower_pattern(holder: ActiveClaim, keep: str) -> str:
    """The pattern a `narrow` answer keeps (Invalid unless strictly inside the claim's)."""
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


def text_field(value: str | None, name: str, limit: int, required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(f"{name} must not be empty: tell the holder why you need the scope")
    if len(text) > limit:
        raise Invalid(f"{name} must be at most {limit} characters")
    return text or None


def check_answer_shape(reply: ReleaseAnswer) -> None:
    if reply.answer not in ANSWERS:
        raise Invalid(f"answer must be one of {', '.join(ANSWERS)}, not {reply.answer!r}")
    keeps = [
        k for k, v in (("keep_pattern", reply.keep_pattern), ("keep_symbols", reply.keep_symbols)) if v is not None
    ]
    if reply.answer != "narrow" and keeps:
        raise Invalid(f"{' and '.join(keeps)} only go with answer 'narrow'")
    if reply.answer == "narrow" and len(keeps) != 1:
        raise Invalid("answer 'narrow' needs exactly one of keep_pattern or keep_symbols: the part you keep")


def require_open(req: RequestRow) -> None:
    if req.state == "answered":
        raise Conflict(
            f"request {req.id} was already answered ({req.answer}) at {records.iso(req.answered_at)}",
            answer=req.answer,
        )
    if req.state != "open":
        raise Conflict(f"request {req.id} is {req.state}; nothing to do", state=req.state)


def claim_row(tx: Tx, claim_id: int) -> ClaimRow:
    row = claim_rows.by_id(tx, claim_id)
    if row is None:
        raise NotFound(f"no claim with id {claim_id}")
    return row


def claims_of(tx: Tx, ids: list[int]) -> dict[int, ClaimRow]:
    unique = sorted(set(ids))
    if not unique:
        return {}
    return {r.id: r for r in claim_rows.by_ids(tx, unique)}


def claim_api(tx: Tx, claim_id: int, now: datetime) -> Claim:
    return claim_from_row(claim_row(tx, claim_id), records.to_epoch(now))


def blocked_by(requester: str, item: ClaimItem, holder: ActiveClaim, files: FileSet | None) -> str | None:
    """None when `holder` blocks `item`; else the engine's outcome without it."""
    ctx = Context(overlap_function(files, strict=False), lambda c: True)
    decision = decide_item(requester, item, ClaimBook([holder]), ctx)
    return None if decision.outcome is Outcome.CONFLICT else decision.outcome.value


def matches(pattern: str, path: str) -> bool:
    try:
        return globs.matches(pattern, path)
    except globs.GlobError:
        return False


def scope_text(pattern: str, syms: tuple[str, ...] | list[str]) -> str:
    return pattern + (f" [{', '.join(syms)}]" if syms else "")


def answer_message(req: RequestRow, answer: str, detail: dict[str, Any]) -> str:
    who = req.holder
    if answer == "release":
        return f"{who} released claim {req.claim_id}: claim {req.wanted_pattern} now"
    if answer == "deny":
        return (
            f"{who} keeps claim {req.claim_id} (deny); it ends at {detail['expires_at']} "
            "unless extended: wait, queue, or claim something else"
        )
    if answer == "coexist":
        return (
            f"{who} lets you work beside claim {req.claim_id}: claim {detail['granted_claim']} "
            "is yours, cross-referenced with theirs"
        )
    kept = scope_text(detail["kept_pattern"], detail["kept_symbols"])
    if detail.get("wanted_scope_free"):
        return f"{who} narrowed claim {req.claim_id} to {kept}: your scope is free, claim it now"
    return f"{who} narrowed claim {req.claim_id} to {kept}, which still overlaps what you asked for"


def present_request(row: RequestRow, claim_row: ClaimRow | None, now: datetime) -> ReleaseRequest:
    stamp = records.to_epoch(now)
    claim = claim_from_row(claim_row, stamp) if claim_row else None
    state = row.state
    detail = json.loads(row.answer_detail or "{}")
    if state == "open" and (claim is None or claim.state != "active"):
        state = "cancelled"
        detail = {"reason": f"claim {row.claim_id} {claim.state if claim else 'is gone'}"}
    created = records.from_epoch(row.created_at)
    assert created is not None
    return ReleaseRequest(
        id=int(row.id),
        repo_id=row.repo_id,
        claim_id=int(row.claim_id),
        requester=row.requester,
        holder=row.holder,
        reason=row.reason,
        urgency=Urgency(row.urgency),
        wanted_pattern=row.wanted_pattern,
        wanted_symbols=tuple(json.loads(row.wanted_symbols)),
        state=RequestState(state),
        answer=None if row.answer is None else Answer(row.answer),
        answer_detail=detail,
        created_at=created,
        answered_at=records.from_epoch(row.answered_at),
        claim=claim,
    )
