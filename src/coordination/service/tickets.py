"""Waits that fit a tool call: a capped slice of a queue wait, and resuming it by ticket.

MCP clients give up on a tool call after about a minute, so no call waits in the
claim queue longer than `COORD_MAX_CALL_WAIT_SEC` (50 s by default). When a
call's slice ends before its wait does (`wait_seconds` is longer than the cap),
the answer is `202` with `queue: {state: "waiting", ticket, resume_before, ...}`:
the entry keeps its place in line, and `POST /claims` with `resume: <ticket>`
(`claim_files(resume=...)` over MCP) waits again from that same place, on any
replica. The entry's deadline stays the first call's (`wait_seconds` counts
from joining the queue), and so does its scope: the claims of a resuming call
are not read again.

Between calls nobody stands behind the entry, so its waiter lease
(`COORD_QUEUE_WAITER_LEASE_SEC`, see `service.queue`) is the grace period: the
answer renews it once, `resume_before` says until when, and an entry nobody
resumed by then is ended as `abandoned` and never granted. An entry granted
during the gap is answered to the resuming call.

A ticket is `q<queue id>-<check>`; the check binds it to the entry's engineer,
repo and creation, so a ticket of an entry that no longer exists (or a typo) is
a 404. It is not a secret (the bearer token is the authority): another engineer
presenting it gets a 403, a call for another repo a 409, and an entry that ended
(expired, cancelled, abandoned) a 409 with its state.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from coordination import records
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.service.context import check_identity
from coordination.service.presence import Presence
from coordination.service.queue_entries import places, present, queue_row
from coordination.service.queue_records import QueueWait
from coordination.service.types import ClaimRequest, ClaimResult
from coordination.store.rows import QueueRow

if TYPE_CHECKING:
    from coordination.service.queue import ClaimQueue

__all__ = ["parse", "resume", "still_waiting", "ticket"]

TICKET = re.compile(r"q([1-9][0-9]{0,17})-([0-9a-f]{12})")


def ticket(row: QueueRow) -> str:
    """The ticket of a queue entry row."""
    return f"q{row.id}-{_check(row)}"


def _check(row: QueueRow) -> str:
    text = f"{row.id}\n{row.repo_id}\n{row.engineer}\n{float(row.created_at):.6f}\n{row.position}"
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def parse(text: str) -> int:
    """The queue id a ticket names (400 for something that is no ticket)."""
    match = TICKET.fullmatch(text.strip())
    if match is None:
        raise Invalid(f"resume must be a queue ticket like q12-0123456789ab, not {text!r}", field="resume")
    return int(match.group(1))


def still_waiting(queue: ClaimQueue, queue_id: int) -> ClaimResult:
    """A call's slice ended before its wait: renew the grace period and answer the ticket.

    When the entry left `waiting` in the meantime, its outcome is answered instead
    (the grant, or the Conflict of an entry that ended).
    """
    ctx = queue.ctx
    queue.renew([queue_id])
    boost = ctx.settings.queue_age_boost_seconds
    with ctx.store.read() as tx:
        row = queue_row(tx, queue_id)
        if row.state == "waiting":
            now = ctx.clock()
            entry = present(tx, row, now, boost)
            place = places(tx, {row.repo_id}, now, boost).get(queue_id)
    if row.state != "waiting":
        return queue.outcome(queue_id)
    resume_before = records.from_epoch(row.lease_until)
    assert resume_before is not None  # renewed just above
    wait = QueueWait(
        id=queue_id,
        ticket=ticket(row),
        resume_before=resume_before,
        deadline=entry.deadline,
        place=place,
        waited_sec=entry.waited_sec,
        blocking=entry.blocking,
    )
    return ClaimResult([], [], [], queue=wait)


def resume(queue: ClaimQueue, req: ClaimRequest, presence: Presence | None = None) -> ClaimResult:
    """`POST /claims` with `resume`: wait again, in the same place, for the ticket's entry."""
    ctx = queue.ctx
    check_identity(req.engineer, req.repo_id, req.session_id)
    given = req.resume or ""
    queue_id = parse(given)
    try:
        row: QueueRow | None = _read(queue, queue_id)
    except NotFound:
        row = None
    if row is None or _check(row) != given.strip().rpartition("-")[2]:
        raise NotFound(f"no queue entry has ticket {given!r} (it was never issued here, or mistyped)")
    if row.engineer != req.engineer:
        raise Forbidden(
            f"ticket {given} belongs to {row.engineer}'s queue entry {queue_id}; only its engineer resumes it"
        )
    if row.repo_id != req.repo_id:
        raise Conflict(
            f"ticket {given} is for repo {row.repo_id}, not {req.repo_id}; resume it with that repo_id",
            queue={"id": queue_id, "state": row.state},
        )
    if row.state == "waiting":
        queue.promote_repo(row.repo_id)  # a lapsed grace period ends the entry here (abandoned)
        row = _read(queue, queue_id)
    if row.state != "waiting":
        return queue.outcome(queue_id)  # the grant, or 409 naming the state it ended in
    with queue.waiters.slot(retry="resume again shortly"):
        queue.renew([queue_id])
        with ctx.store.read() as tx:
            left = float(row.deadline) - records.to_epoch(ctx.now(tx))
        return queue.wait(queue_id, max(0.0, left), presence, cap=ctx.settings.max_call_wait_sec)


def _read(queue: ClaimQueue, queue_id: int) -> QueueRow:
    with queue.ctx.store.read() as tx:
        return queue_row(tx, queue_id)
