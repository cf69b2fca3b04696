"""The claim queue through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.service import ClaimRequest, ClaimService, Presence, ReleaseAnswer, ReleaseAsk
from coordination.service.queue_records import QueueGrant

F = ClaimType.FILE
REPO = "org/app"
ALEX, BOB, CAROL, DAVE, ERIN = "alex/claude/1", "bob/codex/1", "carol/cursor/1", "dave/aider/1", "erin/claude/2"


def req(engineer: str, *patterns: str, **kw: object) -> ClaimRequest:
    items = [ClaimItem(F, p) for p in patterns]
    return ClaimRequest(engineer=engineer, items=items, repo_id=REPO, **kw)  # type: ignore[arg-type]


def hold(service: ClaimService, engineer: str, *patterns: str, **kw: object) -> int:
    return int(service.create_claims(req(engineer, *patterns, **kw)).claims[0].id)


def queue(service: ClaimService, engineer: str, *patterns: str, wait: float = 600, **kw: object) -> int:
    result = service.create_claims(req(engineer, *patterns, wait_seconds=wait, **kw))
    assert result.queue is not None and result.claims == []
    assert result.queue.state == "waiting"
    return int(result.queue.id)


def state(service: ClaimService, queue_id: int) -> str:
    return str(service.queue.get(queue_id).state)


def holders(service: ClaimService, pattern: str) -> list[str]:
    return [c.engineer for c in service.list_claims(REPO, pattern=pattern)]


def in_queue_order(service: ClaimService) -> list[dict]:
    """Waiting entries by `place` (the list itself is in arrival order, for paging)."""
    return sorted(service.queue.list(REPO), key=lambda e: e.place)


def events(service: ClaimService, kind: str) -> list[dict]:
    return [e.as_json() for e in service.events(REPO) if e.event_type == kind]


def start_waiting(
    service: ClaimService, request: ClaimRequest, catch: type[BaseException], presence: Presence | None = None
) -> tuple[threading.Thread, dict[str, object]]:
    """`claim_and_wait(request)` in a thread, once its entry is in the queue. Its answer lands in
    `outcome["result"]`, an exception of type `catch` in `outcome["error"]`."""
    outcome: dict[str, object] = {}

    def wait() -> None:
        try:
            outcome["result"] = service.queue.claim_and_wait(request, presence)
        except catch as exc:
            outcome["error"] = exc

    waiter = threading.Thread(target=wait)
    waiter.start()
    deadline = time.monotonic() + 10
    while not service.queue.list(REPO) and time.monotonic() < deadline:
        time.sleep(0.01)
    return waiter, outcome


def test_queued_request_is_granted_when_the_holder_releases(service: ClaimService, clock) -> None:
    held = hold(service, ALEX, "src/a.ts")
    qid = queue(service, BOB, "src/a.ts", session_id="bob-session-1", description="fix")
    (entry,) = service.queue.list(REPO)
    assert entry.id == qid and entry.state == "waiting" and entry.place == 1
    assert [(b.claim_id, b.engineer, b.pattern) for b in entry.blocking] == [(held, ALEX, "src/a.ts")]
    assert holders(service, "src/a.ts") == [ALEX]
    clock.advance(seconds=7)
    service.release(held, ALEX)
    assert state(service, qid) == "granted"
    (claim,) = service.list_claims(REPO, engineer=BOB)
    assert claim.pattern == "src/a.ts" and claim.session_id == "bob-session-1"
    assert claim.description == "fix"
    result = service.queue.outcome(qid)
    assert result.claims[0].id == claim.id
    assert result.decisions[0].outcome == "GRANT"
    assert result.queue == QueueGrant(id=qid, waited_sec=7.0)
    kinds = [e.event_type for e in service.events(REPO)]
    assert kinds == ["grant", "conflict", "queue_wait", "release", "grant", "queue_grant"]
    release, grant = events(service, "release")[0], events(service, "grant")[1]
    # The queue's grant is fenced strictly above the release that freed the scope.
    assert grant["detail"]["fence"] > release["detail"]["seq"]
    assert service.queue.list(REPO) == []


def test_a_request_that_does_not_conflict_is_granted_at_once(service: ClaimService) -> None:
    result = service.create_claims(req(BOB, "src/a.ts", wait_seconds=60, urgency="high"))
    assert result.queue is None and result.claims[0].engineer == BOB
    assert events(service, "queue_wait") == []


def test_bad_wait_or_urgency_is_invalid_before_queueing(service: ClaimService) -> None:
    hold(service, ALEX, "src/a.ts")
    for kw in ({"wait_seconds": -1}, {"wait_seconds": 901}, {"wait_seconds": 5, "urgency": "urgent"}):
        with pytest.raises(Invalid):
            service.create_claims(req(BOB, "src/a.ts", **kw))
    assert service.queue.list(REPO) == []


def test_priority_order_then_position(service: ClaimService, clock) -> None:
    held = hold(service, ALEX, "src/a.ts")
    bob = queue(service, BOB, "src/a.ts")  # normal
    clock.advance(seconds=1)
    dave = queue(service, DAVE, "src/a.ts", urgency="low")
    carol = queue(service, CAROL, "src/a.ts", urgency="high")
    assert [e.id for e in in_queue_order(service)] == [carol, bob, dave]
    service.release(held, ALEX)
    assert (state(service, carol), state(service, bob), state(service, dave)) == ("granted", "waiting", "waiting")
    # Carol's new claim now blocks the rest.
    blockers = {b.engineer for e in service.queue.list(REPO) for b in e.blocking}
    assert blockers == {CAROL}
    service.release_many(REPO, engineer=CAROL)
    assert (state(service, bob), state(service, dave)) == ("granted", "waiting")
    service.release_many(REPO, engineer=BOB)
    assert state(service, dave) == "granted"


def test_age_boost_lifts_an_old_entry_exactly_one_level(make_service, clock) -> None:
    service = make_service(queue_age_boost_seconds=60)
    held = hold(service, ALEX, "src/a.ts")
    old_normal = queue(service, BOB, "src/a.ts")
    clock.advance(seconds=61)
    service.queue.renew([old_normal])  # its waiter is still there
    new_high = queue(service, CAROL, "src/a.ts", urgency="high")
    new_blocking = queue(service, DAVE, "src/a.ts", urgency="blocking")
    # blocking (3) > old normal (1 + 1, joined first) > new high (2)
    assert [e.id for e in in_queue_order(service)] == [new_blocking, old_normal, new_high]
    assert [e.effective_priority for e in in_queue_order(service)] == [3, 2, 2]
    service.release(held, ALEX)
    assert state(service, new_blocking) == "granted"
    service.release_many(REPO, engineer=DAVE)
    assert (state(service, old_normal), state(service, new_high)) == ("granted", "waiting")


def test_no_age_boost_when_disabled(make_service, clock) -> None:
    service = make_service(queue_age_boost_seconds=0)
    held = hold(service, ALEX, "src/a.ts")
    old_normal = queue(service, BOB, "src/a.ts", wait=900)
    clock.advance(seconds=600)
    service.queue.renew([old_normal])  # its waiter is still there
    new_high = queue(service, CAROL, "src/a.ts", urgency="high")
    service.release(held, ALEX)
    assert (state(service, new_high), state(service, old_normal)) == ("granted", "waiting")


def test_an_entry_still_blocked_does_not_hold_back_a_free_one(service: ClaimService) -> None:
    a = hold(service, ALEX, "src/a.ts")
    b = hold(service, ALEX, "src/b.ts")
    first = queue(service, BOB, "src/a.ts", urgency="blocking")
    later = queue(service, CAROL, "src/b.ts", urgency="low")
    service.release(b, ALEX)
    assert (state(service, first), state(service, later)) == ("waiting", "granted")
    service.release(a, ALEX)
    assert state(service, first) == "granted"


def test_overlapping_waiters_are_never_granted_together(service: ClaimService) -> None:
    held = hold(service, ALEX, "src/**")
    bob = queue(service, BOB, "src/a.ts")
    carol = queue(service, CAROL, "src/*.ts")
    dave = queue(service, DAVE, "lib/x.ts", "src/b.ts")
    service.release(held, ALEX)
    # Bob goes first; Carol's glob overlaps Bob's new claim; Dave's files are free.
    assert [state(service, q) for q in (bob, carol, dave)] == ["granted", "waiting", "granted"]
    (carol_entry,) = service.queue.list(REPO)
    assert {b.engineer for b in carol_entry.blocking} == {BOB}
    service.queue.poll(carol)  # the next pass sees Dave's claim too
    (carol_entry,) = service.queue.list(REPO)
    assert {b.engineer for b in carol_entry.blocking} == {BOB, DAVE}


def test_all_items_must_be_free(service: ClaimService) -> None:
    a = hold(service, ALEX, "src/a.ts")
    hold(service, CAROL, "src/b.ts")
    bob = queue(service, BOB, "src/a.ts", "src/b.ts")
    service.release(a, ALEX)
    assert state(service, bob) == "waiting"
    assert holders(service, "src/a.ts") == []
    service.release_many(REPO, engineer=CAROL)
    assert state(service, bob) == "granted"
    assert len(service.list_claims(REPO, engineer=BOB)) == 2


def test_cancel(service: ClaimService) -> None:
    held = hold(service, ALEX, "src/a.ts")
    bob = queue(service, BOB, "src/a.ts")
    with pytest.raises(Forbidden):
        service.queue.cancel(bob, CAROL)
    with pytest.raises(NotFound):
        service.queue.cancel(bob + 100, BOB)
    out = service.queue.cancel(bob, BOB)
    assert out.state == "cancelled" and out.ended_at is not None
    with pytest.raises(Conflict) as err:
        service.queue.cancel(bob, BOB)
    assert err.value.extra["state"] == "cancelled"
    service.release(held, ALEX)
    assert service.list_claims(REPO, engineer=BOB) == []
    with pytest.raises(Conflict) as err:
        service.queue.outcome(bob)
    assert err.value.extra["queue"] == {"id": bob, "state": "cancelled"}
    assert len(events(service, "queue_cancel")) == 1


def test_a_wait_that_ends_expires_the_entry_for_good(service: ClaimService, clock) -> None:
    held = hold(service, ALEX, "src/a.ts")
    bob = queue(service, BOB, "src/a.ts", wait=30)
    clock.advance(seconds=31)
    assert service.queue.poll(bob).state == "expired"
    with pytest.raises(Conflict) as err:
        service.queue.outcome(bob)
    body = err.value.body()
    assert body["queue"] == {"id": bob, "state": "expired"}
    assert body["conflicts"][0]["claim_id"] == held
    service.release(held, ALEX)
    assert service.list_claims(REPO, engineer=BOB) == []
    assert state(service, bob) == "expired"
    assert len(events(service, "queue_expire")) == 1


def test_a_blocking_wait_times_out_with_a_conflict(service: ClaimService) -> None:
    held = hold(service, ALEX, "src/a.ts")
    start = time.monotonic()
    with pytest.raises(Conflict) as err:
        service.queue.claim_and_wait(req(BOB, "src/a.ts", wait_seconds=0.3))
    assert time.monotonic() - start < 5
    qid = err.value.extra["queue"]["id"]
    assert err.value.extra["queue"]["state"] == "expired"
    service.release(held, ALEX)
    assert state(service, qid) == "expired" and service.list_claims(REPO, engineer=BOB) == []


def test_a_waiter_in_this_process_wakes_on_release(service: ClaimService) -> None:
    held = hold(service, ALEX, "src/a.ts")
    waiter, outcome = start_waiting(service, req(BOB, "src/a.ts", wait_seconds=30), Exception)
    started = time.monotonic()
    service.release(held, ALEX)
    waiter.join(10)
    assert "error" not in outcome, outcome
    result = outcome["result"]
    assert result.claims[0].engineer == BOB and result.queue.state == "granted"  # type: ignore[attr-defined]
    assert time.monotonic() - started < 0.4  # woken by the event, not by the 0.5 s poll


def test_a_waiter_cancelled_in_this_process_wakes_with_a_conflict(service: ClaimService) -> None:
    hold(service, ALEX, "src/a.ts")
    waiter, outcome = start_waiting(service, req(BOB, "src/a.ts", wait_seconds=30), Conflict)
    (entry,) = service.queue.list(REPO)
    service.queue.cancel(entry.id, BOB)
    waiter.join(10)
    assert not waiter.is_alive()
    assert outcome["error"].extra["queue"] == {"id": entry.id, "state": "cancelled"}  # type: ignore[attr-defined]


def test_a_blocker_that_runs_out_of_time_lets_the_waiter_in_on_its_poll(service: ClaimService, clock) -> None:
    hold(service, ALEX, "src/a.ts", ttl_hours=0.1)  # six minutes
    bob = queue(service, BOB, "src/a.ts", wait=900, session_id="bob-session-1")
    assert service.queue.poll(bob).state == "waiting"
    clock.advance(minutes=7)
    # Nothing has swept the expired claim yet: the waiter's own poll promotes.
    entry = service.queue.poll(bob)
    assert entry.state == "granted"
    (claim,) = service.list_claims(REPO, engineer=BOB)
    assert claim.session_id == "bob-session-1"


def test_the_sweep_promotes_and_expires(service: ClaimService, clock) -> None:
    hold(service, ALEX, "src/a.ts", ttl_hours=0.1)
    hold(service, ALEX, "src/b.ts")
    bob = queue(service, BOB, "src/a.ts", wait=900)
    carol = queue(service, CAROL, "src/b.ts", wait=60)
    clock.advance(minutes=7)
    service.queue.renew([bob, carol])  # both waiters are still there; Carol's wait is over
    counts = service.sweep()
    assert counts["expired"] == 1 and counts["queue_expired"] == 1
    assert (state(service, bob), state(service, carol)) == ("granted", "expired")


def test_idle_waiter_claims_idle_expire(make_service, clock) -> None:
    service = make_service(idle_timeout_sec=60)
    held = hold(service, ALEX, "src/a.ts", session_id="alex-session-1")
    bob = queue(service, BOB, "src/a.ts", session_id="bob-session-1")
    service.heartbeat("alex-session-1", ALEX, REPO)
    service.release(held, ALEX)
    assert state(service, bob) == "granted"
    clock.advance(seconds=120)  # Bob went away: his session is silent
    assert service.list_claims(REPO, engineer=BOB) == []


def test_a_release_answer_promotes_waiters(service: ClaimService) -> None:
    held = hold(service, ALEX, "src/a.ts")
    carol = queue(service, CAROL, "src/a.ts")
    request = service.requests.request_release(ReleaseAsk(REPO, BOB, held, "hotfix"))
    service.requests.respond(request.id, ReleaseAnswer(ALEX, "release"))
    assert state(service, carol) == "granted"


def test_list_filters_by_engineer_and_repo(service: ClaimService) -> None:
    hold(service, ALEX, "src/a.ts")
    bob = queue(service, BOB, "src/a.ts")
    carol = queue(service, CAROL, "src/a.ts")
    assert [e.id for e in service.queue.list(REPO, CAROL)] == [carol]
    assert service.queue.list(REPO, CAROL)[0].place == 2
    assert [e.id for e in service.queue.list(None, BOB)] == [bob]
    assert service.queue.list("org/other") == []
    with pytest.raises(Invalid):
        service.queue.list(REPO, "bad engineer!")


def test_an_entry_whose_waiter_stopped_renewing_is_never_granted(make_service, clock) -> None:
    service = make_service(queue_waiter_lease_sec=10)
    held = hold(service, ALEX, "src/a.ts")
    gone = queue(service, BOB, "src/a.ts", wait=900)
    alive = queue(service, CAROL, "src/a.ts", wait=900)
    clock.advance(seconds=11)  # Bob's server died: nobody renews his lease
    service.queue.renew([alive])
    service.release(held, ALEX)
    assert (state(service, gone), state(service, alive)) == ("abandoned", "granted")
    assert holders(service, "src/a.ts") == [CAROL]
    (abandon,) = events(service, "queue_abandon")
    assert abandon["detail"]["queue_id"] == gone and "lease" in abandon["detail"]["reason"]
    with pytest.raises(Conflict) as err:
        service.queue.outcome(gone)
    assert err.value.extra["queue"] == {"id": gone, "state": "abandoned"}


def test_the_sweep_ends_entries_whose_lease_lapsed(make_service, clock) -> None:
    service = make_service(queue_waiter_lease_sec=10)
    hold(service, ALEX, "src/a.ts")
    gone = queue(service, BOB, "src/a.ts", wait=900)
    clock.advance(seconds=11)
    assert service.sweep()["queue_expired"] == 1
    assert state(service, gone) == "abandoned" and service.queue.list(REPO) == []


def test_a_waiter_whose_caller_leaves_abandons_its_entry(service: ClaimService) -> None:

    held = hold(service, ALEX, "src/a.ts")
    presence = Presence()
    waiter, outcome = start_waiting(service, req(BOB, "src/a.ts", wait_seconds=30), Conflict, presence)
    (entry,) = service.queue.list(REPO)
    presence.leave("the caller closed the connection")
    waiter.join(10)
    assert not waiter.is_alive() and "error" in outcome
    assert state(service, entry.id) == "abandoned"
    service.release(held, ALEX)
    assert holders(service, "src/a.ts") == []


def test_a_stopping_server_answers_its_waiters_unavailable(service: ClaimService) -> None:
    from coordination.errors import Unavailable

    hold(service, ALEX, "src/a.ts")
    waiter, outcome = start_waiting(service, req(BOB, "src/a.ts", wait_seconds=30), Unavailable)
    (entry,) = service.queue.list(REPO)
    service.queue.stop()
    waiter.join(10)
    assert not waiter.is_alive()
    assert "shutting down" in outcome["error"].detail  # type: ignore[attr-defined]
    assert state(service, entry.id) == "abandoned"
    with pytest.raises(Unavailable):
        service.queue.claim_and_wait(req(CAROL, "src/a.ts", wait_seconds=30))
