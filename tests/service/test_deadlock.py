"""Deadlock detection when a request would join the claim queue, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Conflict, Deadlock
from coordination.service import ClaimRequest, ClaimService
from tests.support.invariant import assert_exclusive

REPO = "org/app"


@pytest.fixture(autouse=True)
def _exclusive_at_the_end(service: ClaimService) -> object:
    """Whatever a test did to the queue, no two overlapping exclusive claims are active."""
    yield
    for repo in {c.repo_id for c in service.list_claims()}:
        assert_exclusive([c.as_json() for c in service.list_claims(repo)])


ALEX, BOB, CAROL = "alex/claude/1", "bob/codex/1", "carol/cursor/1"


def req(engineer: str, *patterns: str, repo: str = REPO, **kw: object) -> ClaimRequest:
    return ClaimRequest(engineer=engineer, items=[ClaimItem(ClaimType.FILE, p) for p in patterns], repo_id=repo, **kw)  # type: ignore[arg-type]


def hold(service: ClaimService, engineer: str, pattern: str, repo: str = REPO) -> int:
    return int(service.create_claims(req(engineer, pattern, repo=repo)).claims[0].id)


def queue(service: ClaimService, engineer: str, pattern: str, wait: float = 600, repo: str = REPO) -> int:
    result = service.create_claims(req(engineer, pattern, repo=repo, wait_seconds=wait))
    assert result.queue is not None and result.queue.state == "waiting"
    return int(result.queue.id)


def waiting(service: ClaimService) -> list[int]:
    return [e.id for e in service.queue.list(REPO)]


def test_two_engineers_who_wait_for_each_other_get_a_deadlock_at_once(service: ClaimService) -> None:
    x, y = hold(service, ALEX, "src/x.py"), hold(service, BOB, "src/y.py")
    qa = queue(service, ALEX, "src/y.py")
    with pytest.raises(Deadlock) as caught:
        service.create_claims(req(BOB, "src/x.py", wait_seconds=600))
    err = caught.value
    assert isinstance(err, Conflict) and err.status == 409
    body = err.body()
    assert body["error"] == "deadlock" and body["detail"].startswith("deadlock")
    assert body["engineers"] == [BOB, ALEX]
    assert body["cycle"] == [
        {"engineer": BOB, "queue_id": None, "wants": "src/x.py", "held_by": ALEX, "claim_id": x, "pattern": "src/x.py"},
        {"engineer": ALEX, "queue_id": qa, "wants": "src/y.py", "held_by": BOB, "claim_id": y, "pattern": "src/y.py"},
    ]
    assert f"{BOB}: release claim #{y} (src/y.py)" in body["suggestion"]
    assert [c["claim_id"] for c in body["conflicts"]] == [x]
    # Nothing was queued for bob; alex still waits, and bob releasing y grants it.
    assert waiting(service) == [qa]
    kinds = [e.event_type for e in service.events(REPO)]
    assert kinds[-1] == "deadlock" and kinds.count("queue_wait") == 1
    service.release(y, BOB)
    assert service.queue.get(qa).state == "granted"


def test_three_engineers_in_a_ring(service: ClaimService) -> None:
    x, y, z = hold(service, ALEX, "src/x.py"), hold(service, BOB, "src/y.py"), hold(service, CAROL, "src/z.py")
    qa = queue(service, ALEX, "src/y.py")  # alex -> bob
    qb = queue(service, BOB, "src/z.py")  # bob -> carol
    with pytest.raises(Deadlock) as caught:
        service.create_claims(req(CAROL, "src/x.py", wait_seconds=600))  # carol -> alex closes it
    body = caught.value.body()
    assert body["engineers"] == [CAROL, ALEX, BOB]
    assert [(s["engineer"], s["queue_id"], s["claim_id"]) for s in body["cycle"]] == [
        (CAROL, None, x),
        (ALEX, qa, y),
        (BOB, qb, z),
    ]
    assert f"{CAROL}: release claim #{z}" in body["suggestion"]
    assert waiting(service) == [qa, qb]


def test_a_chain_that_does_not_close_queues_as_before(service: ClaimService) -> None:
    hold(service, ALEX, "src/x.py")
    hold(service, BOB, "src/y.py")
    queue(service, ALEX, "src/y.py")  # alex -> bob
    queue(service, CAROL, "src/x.py")  # carol -> alex: no cycle (carol holds nothing)
    assert len(waiting(service)) == 2


def test_without_a_wait_the_answer_stays_a_plain_conflict(service: ClaimService) -> None:
    hold(service, ALEX, "src/x.py")
    hold(service, BOB, "src/y.py")
    queue(service, ALEX, "src/y.py")
    with pytest.raises(Conflict) as caught:
        service.create_claims(req(BOB, "src/x.py"))
    assert not isinstance(caught.value, Deadlock)


def test_ended_or_lapsed_waits_no_longer_count(service: ClaimService, clock) -> None:
    hold(service, ALEX, "src/x.py")
    hold(service, BOB, "src/y.py")
    service.queue.cancel(queue(service, ALEX, "src/y.py"), ALEX)
    qb = queue(service, BOB, "src/x.py")  # alex no longer waits: bob queues
    with pytest.raises(Deadlock) as caught:
        service.create_claims(req(ALEX, "src/y.py", wait_seconds=600))  # now alex's wait closes it
    assert caught.value.body()["engineers"] == [ALEX, BOB]
    # bob's entry has nobody behind it once its lease runs out: it is not a wait any more
    clock.advance(seconds=service.settings.queue_waiter_lease_sec + 1)
    assert queue(service, ALEX, "src/y.py") != qb


def test_other_repos_do_not_count(service: ClaimService) -> None:
    hold(service, ALEX, "src/x.py")
    hold(service, BOB, "src/y.py", repo="org/other")
    hold(service, BOB, "src/y.py")
    queue(service, ALEX, "src/y.py", repo=REPO)
    hold(service, ALEX, "src/x.py", repo="org/other")
    assert queue(service, BOB, "src/x.py", repo="org/other")  # other repo: alex waits nowhere there
