"""Tracked-file drift: which held claims a change of the file list makes collide."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coordination.core.book import ClaimBook
from coordination.core.drift import new_overlaps
from coordination.core.files import FileSet
from coordination.core.model import ActiveClaim, Carve, ClaimType
from coordination.service.checks import blocks_push

LATER = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=1)


def held(claim_id: int, engineer: str, pattern: str, *symbols: str, **kw: object) -> ActiveClaim:
    kind = kw.pop("type", ClaimType.FILE)
    return ActiveClaim(claim_id, "r", engineer, kind, pattern, LATER, tuple(symbols), **kw)  # type: ignore[arg-type]


def live(_: ActiveClaim) -> bool:
    return True


BEFORE = FileSet(["src/a.ts", "src/b.md"])
AFTER = FileSet(["src/a.ts", "src/b.md", "src/b.ts"])


def test_an_added_file_makes_two_globs_collide() -> None:
    book = ClaimBook([held(1, "alex", "src/*.ts"), held(2, "bob", "src/b*"), held(3, "alex", "docs/x.md")])
    (found,) = new_overlaps(book, BEFORE, AFTER, live)
    assert (found.first.id, found.second.id, found.paths) == (1, 2, ("src/b.ts",))
    assert new_overlaps(book, AFTER, AFTER, live) == []  # nothing changed: nothing to look at


def test_first_check_looks_at_every_claim_and_skips_allowed_pairs() -> None:
    book = ClaimBook(
        [
            held(1, "alex", "src/*.ts", carved=(Carve("src/b.ts", "Foo", 2),), partners=(2,)),
            held(2, "bob", "src/b.ts", "Foo", partners=(1,)),
            held(3, "carol", "src/b.md", type=ClaimType.SHARED_FILE),
            held(4, "dan", "src/b.md", type=ClaimType.SHARED_FILE),
            held(5, "erin", "src/a.ts", "Bar"),
        ]
    )
    found = [(o.first.id, o.second.id) for o in new_overlaps(book, None, AFTER, live)]
    # Only the whole-file glob over erin's symbol, which nothing carved, collides.
    assert found == [(1, 5)]


def test_dead_claims_are_no_overlap() -> None:
    book = ClaimBook([held(1, "alex", "src/*.ts"), held(2, "bob", "src/b*")])
    assert new_overlaps(book, BEFORE, AFTER, lambda c: c.id != 2) == []


def test_a_symbol_claim_blocks_a_push_unless_it_stands_beside_ours_by_design() -> None:
    theirs = held(2, "bob", "src/b.ts", "Foo", partners=(1,))
    partner = held(1, "alex", "src/*.ts", carved=(Carve("src/b.ts", "Foo", 2),), partners=(2,))
    drifted = held(3, "alex", "src/*.ts")
    assert not blocks_push(theirs, [partner])
    assert blocks_push(theirs, [drifted])
    assert blocks_push(held(4, "bob", "src/b.ts"), [drifted])
