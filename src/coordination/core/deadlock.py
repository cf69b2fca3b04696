"""Deadlocks in the claim queue: a wait that would close a cycle of engineers.

The wait-for graph has one node per engineer and one edge per wait: the waiter
asked for a scope (`wants`) that overlaps a live claim (`claim_id` on `pattern`)
held by another engineer. An engineer who waits in the queue while holding
claims others wait for is a link in a chain; when the chain comes back to its
start, nobody in it can move until a claim expires.

`find_cycle` answers whether the new request's waits (every edge starts at the
requester) would close such a cycle, given the waits already in the queue, and
returns the shortest one. `explain` words it for the 409: who waits for whom,
and who should release what. Pure: the service builds the edges from the store
inside the write transaction that would queue the new waiter.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Wait:
    """`waiter` waits for claim `claim_id` (on `pattern`) that `holder` has."""

    waiter: str
    holder: str
    claim_id: int
    pattern: str
    wants: str  # the waiter's requested pattern that overlaps the claim
    queue_id: int | None = None  # the waiter's queue entry (None: the request being decided)


Cycle = tuple[Wait, ...]


def find_cycle(requester: str, new: Iterable[Wait], waiting: Iterable[Wait]) -> Cycle | None:
    """The shortest cycle the new waits would close, or None.

    `new` are the waits of the request being decided (waiter = `requester`);
    `waiting` the waits already in the queue. The answer starts with one of `new`
    and follows `waiting` edges (each edge's holder is the next edge's waiter)
    back to an edge whose holder is `requester`; its engineers are all distinct.
    Ties are broken by the edges' natural order, so the answer does not depend on
    the order of the inputs.
    """
    out: dict[str, list[Wait]] = {}
    for edge in set(waiting):
        out.setdefault(edge.waiter, []).append(edge)
    return find_cycle_lazy(requester, new, lambda engineer: out.get(engineer, ()))


def find_cycle_lazy(requester: str, new: Iterable[Wait], waits_of: Callable[[str], Iterable[Wait]]) -> Cycle | None:
    """`find_cycle`, asking `waits_of(engineer)` for an engineer's waits only when the
    search reaches them (each engineer at most once), so waits nobody reaches are
    never worked out."""
    starts = sorted({e for e in new if e.waiter == requester and e.holder != requester})
    # Breadth-first from every holder the requester would wait for, towards the requester.
    came_by: dict[str, Wait] = {}
    frontier: deque[str] = deque()
    for edge in starts:
        if edge.holder not in came_by:
            came_by[edge.holder] = edge
            frontier.append(edge.holder)
    while frontier:
        node = frontier.popleft()
        for edge in sorted({e for e in waits_of(node) if e.waiter == node and e.holder != node}):
            if edge.holder == requester:
                return _path(came_by, edge, requester)
            if edge.holder not in came_by:
                came_by[edge.holder] = edge
                frontier.append(edge.holder)
    return None


def _path(came_by: dict[str, Wait], last: Wait, requester: str) -> Cycle:
    edges = [last]
    node = last.waiter
    while True:
        edge = came_by[node]
        edges.append(edge)
        if edge.waiter == requester:
            break
        node = edge.waiter
    return tuple(reversed(edges))


def engineers(cycle: Sequence[Wait]) -> list[str]:
    """The engineers of the cycle in its order, starting with the requester."""
    return [edge.waiter for edge in cycle]


def explain(cycle: Sequence[Wait]) -> tuple[str, str]:
    """The 409's detail and suggestion for `cycle` (as `find_cycle` returns it)."""
    requester = cycle[0].waiter
    steps = [_step(edge) for edge in cycle]
    detail = (
        f"deadlock: waiting would close a cycle of {len(cycle)} engineers ({' -> '.join(engineers(cycle))}"
        f" -> {requester}): " + "; ".join(steps) + ". Nothing was claimed or queued."
    )
    # The requester's claims that the previous engineer in the cycle waits for.
    blocker = cycle[-1]
    waiter = blocker.waiter
    ask = cycle[0]
    suggestion = (
        f"{requester}: release claim #{blocker.claim_id} ({blocker.pattern}), which {waiter} waits for, "
        f"then claim {ask.wants} again (with wait_seconds to queue); or {ask.holder}: release claim "
        f"#{ask.claim_id} ({ask.pattern}). Any one release in the cycle breaks it."
    )
    return detail, suggestion


def _step(edge: Wait) -> str:
    entry = f" (queue entry {edge.queue_id})" if edge.queue_id is not None else " (this request)"
    held = f"held by {edge.holder} as claim #{edge.claim_id} on {edge.pattern}"
    return f"{edge.waiter}{entry} waits for {edge.wants}, {held}"


def describe(cycle: Sequence[Wait]) -> list[dict[str, Any]]:
    """The cycle as the 409 body's `cycle`: one entry per wait, in cycle order."""
    return [
        {
            "engineer": edge.waiter,
            "queue_id": edge.queue_id,
            "wants": edge.wants,
            "held_by": edge.holder,
            "claim_id": edge.claim_id,
            "pattern": edge.pattern,
        }
        for edge in cycle
    ]
