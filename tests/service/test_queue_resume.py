"""Waits that fit a call: a capped wait answers a ticket, resuming keeps the place (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.service import ClaimRequest, ClaimService
from coordination.service.queue_records import QueueGrant
from tests.support.invariant import assert_exclusive

REPO = "org/app"


@pytest.fixture(autouse=True)
def _exclusive_at_the_end(capped: ClaimService) -> object:
    """Whatever a test did to the queue, no two overlapping exclusive claims are active."""
    yield
    for repo in {c.repo_id for c in capped.list_claims()}:
        assert_exclusive([c.as_json() for c in capped.list_claims(repo)])


ALEX, BOB, CAROL = "alex/claude/1", "bob/codex/1", "carol/cursor/1"
CAP = 0.5


def req(engineer: str, *patterns: str, repo: str = REPO, **kw: object) -> ClaimRequest:
    return ClaimRequest(engineer=engineer, items=[ClaimItem(ClaimType.FILE, p) for p in patterns], repo_id=repo, **kw)  # type: ignore[arg-type]


def resume(engineer: str, ticket: str, repo: str = REPO) -> ClaimRequest:
    return ClaimRequest(engineer=engineer, items=[], repo_id=repo, resume=ticket)


@pytest.fixture
def capped(make_service) -> ClaimService:
    return make_service(max_call_wait_sec=CAP)  # type: ignore[no-any-return]


def hold(service: ClaimService, engineer: str, pattern: str) -> int:
    return int(service.create_claims(req(engineer, pattern)).claims[0].id)


def test_a_wait_longer_than_the_cap_answers_a_ticket_and_keeps_its_place(capped: ClaimService, clock) -> None:
    held = hold(capped, ALEX, "src/a.py")
    started = time.monotonic()
    first = capped.claim(req(BOB, "src/a.py", wait_seconds=600))
    assert CAP <= time.monotonic() - started < CAP + 2
    assert first.claims == [] and first.queue is not None
    entry = first.queue
    assert entry.state == "waiting" and entry.place == 1
    assert entry.ticket.startswith(f"q{entry.id}-")
    assert [(b.claim_id, b.engineer) for b in entry.blocking] == [(held, ALEX)]
    assert entry.resume_before is not None and entry.deadline is not None
    assert capped.queue.get(entry.id).state == "waiting"
    # carol queues behind bob; bob resumes from the same place
    carol = capped.create_claims(req(CAROL, "src/a.py", wait_seconds=600)).queue
    assert carol is not None
    again = capped.claim(resume(BOB, entry.ticket))
    assert again.queue is not None and again.queue.id == entry.id and again.queue.place == 1
    # released while bob's call waits: the resumed call answers the grant
    timer = threading.Timer(0.2, lambda: capped.release(held, ALEX))
    timer.start()
    granted = capped.claim(resume(BOB, entry.ticket))
    timer.join()
    assert granted.queue == QueueGrant(id=entry.id, waited_sec=granted.queue.waited_sec)
    assert [c.engineer for c in granted.claims] == [BOB]
    assert capped.queue.get(int(carol.id)).state == "waiting"


def test_a_grant_between_two_calls_is_answered_to_the_resuming_call(capped: ClaimService) -> None:
    held = hold(capped, ALEX, "src/a.py")
    entry = capped.claim(req(BOB, "src/a.py", wait_seconds=600)).queue
    assert entry is not None
    capped.release(held, ALEX)  # nobody waits on bob's entry right now, but its grace period runs
    assert capped.queue.get(entry.id).state == "granted"
    result = capped.claim(resume(BOB, entry.ticket))
    assert result.queue is not None and result.queue.state == "granted"
    assert [c.engineer for c in result.claims] == [BOB]


def test_nobody_resuming_within_the_grace_period_abandons_the_entry(capped: ClaimService, clock) -> None:
    held = hold(capped, ALEX, "src/a.py")
    entry = capped.claim(req(BOB, "src/a.py", wait_seconds=600)).queue
    assert entry is not None
    clock.advance(seconds=capped.settings.queue_waiter_lease_sec + 1)
    capped.sweep()
    assert capped.queue.get(entry.id).state == "abandoned"
    capped.release(held, ALEX)
    assert capped.list_claims(REPO, engineer=BOB) == []  # never granted
    with pytest.raises(Conflict) as caught:
        capped.claim(resume(BOB, entry.ticket))
    assert caught.value.extra["queue"] == {"id": entry.id, "state": "abandoned"}


def test_a_lapsed_grace_period_ends_the_entry_on_resume_too(capped: ClaimService, clock) -> None:
    hold(capped, ALEX, "src/a.py")
    entry = capped.claim(req(BOB, "src/a.py", wait_seconds=600)).queue
    assert entry is not None
    clock.advance(seconds=capped.settings.queue_waiter_lease_sec + 1)
    with pytest.raises(Conflict) as caught:
        capped.claim(resume(BOB, entry.ticket))
    assert caught.value.extra["queue"]["state"] == "abandoned"


def test_the_wait_ends_at_the_first_calls_deadline(capped: ClaimService, clock) -> None:
    hold(capped, ALEX, "src/a.py")
    entry = capped.claim(req(BOB, "src/a.py", wait_seconds=5)).queue
    assert entry is not None and entry.state == "waiting"
    clock.advance(seconds=6)
    with pytest.raises(Conflict) as caught:
        capped.claim(resume(BOB, entry.ticket))
    assert caught.value.extra["queue"]["state"] == "expired"
    assert caught.value.extra["conflicts"][0]["engineer"] == ALEX


def test_a_ticket_is_bound_to_its_engineer_and_repo(capped: ClaimService) -> None:
    hold(capped, ALEX, "src/a.py")
    entry = capped.claim(req(BOB, "src/a.py", wait_seconds=600)).queue
    assert entry is not None
    ticket = entry.ticket
    with pytest.raises(Forbidden, match="only its engineer resumes it"):
        capped.claim(resume(CAROL, ticket))
    with pytest.raises(Conflict, match="is for repo org/app"):
        capped.claim(resume(BOB, ticket, repo="org/other"))
    with pytest.raises(NotFound):
        capped.claim(resume(BOB, ticket[:-1] + ("0" if ticket[-1] != "0" else "1")))
    with pytest.raises(NotFound):
        capped.claim(resume(BOB, f"q{entry.id + 1000}-0123456789ab"))
    with pytest.raises(Invalid):
        capped.claim(resume(BOB, str(entry.id)))
    capped.queue.cancel(entry.id, BOB)
    with pytest.raises(Conflict) as caught:
        capped.claim(resume(BOB, ticket))
    assert caught.value.extra["queue"]["state"] == "cancelled"


def test_a_wait_within_the_cap_behaves_as_before(capped: ClaimService) -> None:
    hold(capped, ALEX, "src/a.py")
    with pytest.raises(Conflict) as caught:
        capped.claim(req(BOB, "src/a.py", wait_seconds=0.2))
    assert caught.value.extra["queue"]["state"] == "expired"
