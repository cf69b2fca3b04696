"""Claim queue ordering: priority DESC with a one-level age boost, then position ASC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from coordination.core.model import Urgency
from coordination.core.queue import QueueEntry, effective_priority, ordered, sort_key

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
BOOST = 60.0


def entry(id_: int, urgency: Urgency, age_sec: float, position: int | None = None) -> QueueEntry:
    return QueueEntry(id_, id_ if position is None else position, urgency, NOW - timedelta(seconds=age_sec))


def test_declared_priority_first_then_position() -> None:
    entries = [
        entry(1, Urgency.LOW, 0),
        entry(2, Urgency.NORMAL, 0),
        entry(3, Urgency.BLOCKING, 0),
        entry(4, Urgency.HIGH, 0),
        entry(5, Urgency.NORMAL, 0),
    ]
    assert [e.id for e in ordered(entries, NOW, BOOST)] == [3, 4, 2, 5, 1]


def test_age_boost_is_one_level_strictly_after_the_threshold() -> None:
    assert effective_priority(entry(1, Urgency.NORMAL, 60), NOW, BOOST) == 1
    assert effective_priority(entry(1, Urgency.NORMAL, 60.001), NOW, BOOST) == 2
    assert effective_priority(entry(1, Urgency.LOW, 10_000), NOW, BOOST) == 1
    assert effective_priority(entry(1, Urgency.BLOCKING, 10_000), NOW, BOOST) == 4
    assert effective_priority(entry(1, Urgency.NORMAL, 10_000), NOW, 0) == 1


def test_an_old_normal_entry_goes_before_new_high_but_not_new_blocking() -> None:
    old = entry(1, Urgency.NORMAL, 61)
    new_high = entry(2, Urgency.HIGH, 0)
    new_blocking = entry(3, Urgency.BLOCKING, 0)
    assert [e.id for e in ordered([new_high, new_blocking, old], NOW, BOOST)] == [3, 1, 2]
    assert [e.id for e in ordered([new_high, new_blocking, old], NOW, 0)] == [3, 2, 1]


urgency_st = st.sampled_from(list(Urgency))
entries_st = st.lists(
    st.tuples(urgency_st, st.floats(min_value=0, max_value=600, allow_nan=False)),
    min_size=1,
    max_size=30,
).map(lambda xs: [entry(i, u, age) for i, (u, age) in enumerate(xs, start=1)])
boost_st = st.sampled_from([0.0, 1.0, 60.0, 300.0])


@given(entries_st, boost_st)
def test_order_is_sorted_by_effective_priority_then_position(entries: list[QueueEntry], boost: float) -> None:
    out = ordered(entries, NOW, boost)
    assert sorted(e.id for e in out) == sorted(e.id for e in entries)
    for a, b in zip(out, out[1:], strict=False):
        pa, pb = effective_priority(a, NOW, boost), effective_priority(b, NOW, boost)
        assert pa > pb or (pa == pb and a.position < b.position)


@given(entries_st, boost_st)
def test_the_boost_moves_an_entry_by_at_most_one_level(entries: list[QueueEntry], boost: float) -> None:
    for e in entries:
        p = effective_priority(e, NOW, boost)
        assert p - e.urgency.rank in (0, 1)
        assert p - e.urgency.rank == (1 if boost > 0 and (NOW - e.created_at).total_seconds() > boost else 0)


@given(urgency_st, st.lists(urgency_st, min_size=1, max_size=20))
def test_never_starves_behind_one_level_up(old_urgency: Urgency, newcomers: list[Urgency]) -> None:
    """An old entry goes before every newcomer at most one level above it, and after those two above."""
    old = entry(1, old_urgency, BOOST + 1, position=1)
    fresh = [entry(i, u, 0, position=i) for i, u in enumerate(newcomers, start=2)]
    out = [e.id for e in ordered([old, *fresh], NOW, BOOST)]
    place = out.index(1)
    ahead = {e.id for e in fresh if e.urgency.rank >= old_urgency.rank + 2}
    assert set(out[:place]) == ahead


@given(entries_st, boost_st)
def test_sort_key_agrees_with_ordered(entries: list[QueueEntry], boost: float) -> None:
    keys = [sort_key(e, NOW, boost) for e in ordered(entries, NOW, boost)]
    assert keys == sorted(keys)
