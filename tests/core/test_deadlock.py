"""The wait-for graph's cycle check and its wording (`coordination.core.deadlock`)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from coordination.core.deadlock import Wait, describe, engineers, explain, find_cycle
from tests.support.properties import examples

PEOPLE = ["alex", "bob", "carol", "dave", "erin"]
ME = "me"


def wait(waiter: str, holder: str, claim_id: int, queue_id: int | None = 1) -> Wait:
    return Wait(waiter, holder, claim_id, f"src/{holder}{claim_id}.py", f"src/{holder}{claim_id}.py", queue_id)


edges = st.builds(
    wait,
    st.sampled_from([*PEOPLE, ME]),
    st.sampled_from([*PEOPLE, ME]),
    st.integers(1, 30),
    st.integers(1, 9),
)
new_edges = st.builds(lambda h, c: wait(ME, h, c, None), st.sampled_from(PEOPLE), st.integers(1, 30))


def reaches(start: set[str], graph: list[Wait], goal: str) -> dict[str, int]:
    """Reference: hop counts from `start` over `graph` by repeated relaxation (no queue)."""
    dist = {s: 0 for s in start}
    changed = True
    while changed:
        changed = False
        for e in graph:
            if e.waiter in dist and e.waiter != e.holder and dist[e.waiter] + 1 < dist.get(e.holder, 10**9):
                if e.waiter == goal:
                    continue
                dist[e.holder] = dist[e.waiter] + 1
                changed = True
    return dist


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(new_edges, max_size=4), st.lists(edges, max_size=25))
def test_a_cycle_is_found_exactly_when_the_requester_is_reachable(new: list[Wait], waiting: list[Wait]) -> None:
    cycle = find_cycle(ME, new, waiting)
    dist = reaches({e.holder for e in new}, [e for e in waiting], ME)
    assert (cycle is not None) == (ME in dist)
    if cycle is None:
        return
    # a closed walk: starts with a new wait, follows waits already queued back to the requester
    assert cycle[0] in new and all(e in waiting for e in cycle[1:])
    assert cycle[0].waiter == ME and cycle[-1].holder == ME
    for a, b in zip(cycle, cycle[1:], strict=False):
        assert a.holder == b.waiter
    # simple and shortest
    assert len(set(engineers(cycle))) == len(cycle)
    assert len(cycle) == dist[ME] + 1


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(new_edges, max_size=4), st.lists(edges, max_size=25), st.randoms())
def test_the_answer_does_not_depend_on_the_order_of_the_edges(new: list[Wait], waiting: list[Wait], rnd) -> None:
    shuffled_new, shuffled = list(new), list(waiting)
    rnd.shuffle(shuffled_new)
    rnd.shuffle(shuffled)
    assert find_cycle(ME, new, waiting) == find_cycle(ME, shuffled_new, shuffled)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(new_edges, min_size=1, max_size=4), st.lists(edges, max_size=25))
def test_the_explanation_names_every_link_and_who_should_release(new: list[Wait], waiting: list[Wait]) -> None:
    cycle = find_cycle(ME, new, waiting)
    if cycle is None:
        return
    detail, suggestion = explain(cycle)
    assert detail.startswith("deadlock")
    for e in cycle:
        assert e.waiter in detail and e.holder in detail and f"#{e.claim_id}" in detail and e.pattern in detail
    assert suggestion.startswith(f"{ME}: release claim #{cycle[-1].claim_id} ")
    assert [s["engineer"] for s in describe(cycle)] == engineers(cycle)


def test_two_engineers() -> None:
    mine = Wait("bob", "alex", 11, "src/x.py", "src/x.py")
    theirs = Wait("alex", "bob", 12, "src/y.py", "src/y.py", 5)
    assert find_cycle("bob", [mine], [theirs]) == (mine, theirs)
    detail, suggestion = explain((mine, theirs))
    assert detail == (
        "deadlock: waiting would close a cycle of 2 engineers (bob -> alex -> bob): bob (this request) waits for"
        " src/x.py, held by alex as claim #11 on src/x.py; alex (queue entry 5) waits for src/y.py, held by bob as"
        " claim #12 on src/y.py. Nothing was claimed or queued."
    )
    assert suggestion.startswith("bob: release claim #12 (src/y.py), which alex waits for, then claim src/x.py")


def test_waits_of_others_that_do_not_come_back_are_no_cycle() -> None:
    mine = Wait("bob", "alex", 11, "src/x.py", "src/x.py")
    assert find_cycle("bob", [mine], [Wait("alex", "carol", 13, "a", "a", 6)]) is None
    assert find_cycle("bob", [], [Wait("alex", "bob", 12, "b", "b", 5)]) is None
