from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordination.core import symbols


@pytest.mark.parametrize(
    ("holder", "other", "covered"),
    [
        ("A", "A", True),
        ("A", "A::b", True),
        ("A", "A::B::c", True),
        ("A::B", "A::B::c", True),
        ("A::B", "A::C::c", False),
        ("A::b", "A", False),
        ("A", "AB", False),
        ("A", "AB::c", False),
    ],
)
def test_covers(holder: str, other: str, covered: bool) -> None:
    assert symbols.covers(holder, other) is covered


@pytest.mark.parametrize(
    ("symbol", "ok"),
    [
        ("Router", True),
        ("Router::handleAuth", True),
        ("Outer::Inner::m", True),
        ("#private", True),
        ("$el", True),
        ("", False),
        ("A::", False),
        ("::A", False),
        ("A B", False),
        ("A.b", False),
        ("1abc", False),
        ("A" * 600, False),
    ],
)
def test_validate(symbol: str, ok: bool) -> None:
    assert (symbols.validate(symbol) is None) is ok


def test_normalise_drops_descendants_and_duplicates() -> None:
    assert symbols.normalise(["A::b", "A", "C", "C"]) == ("A", "C")


names = st.lists(st.sampled_from(["A", "B", "c"]), min_size=1, max_size=3).map("::".join)


@given(names, names)
def test_collide_is_symmetric_and_matches_prefix_relation(a: str, b: str) -> None:
    assert symbols.collide(a, b) == symbols.collide(b, a)
    pa, pb = symbols.parts(a), symbols.parts(b)
    n = min(len(pa), len(pb))
    assert symbols.collide(a, b) == (pa[:n] == pb[:n])
