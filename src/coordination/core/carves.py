"""Carves: the symbols other engineers hold inside a whole-file claim.

A carve is keyed by (path, symbol) and names the claim that holds it (`by`).
Every symbol claim that lands inside another engineer's narrowable whole-file
claim takes a carve of its own (`AUTO_NARROW`), even where an earlier claim
already carved a wider symbol on that path: a carve then never depends on
another claim staying alive.

When claims end, `after_end` gives the holder its carves back except those
the ended claims held, and hands each carve an ended claim held over to every
claim still inside it that has no carve of its own there, so the holder never
covers a symbol another engineer still holds.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from coordination.core import symbols
from coordination.core.model import ActiveClaim, Carve


def covered(carves: Iterable[Carve], path: str, symbol: str) -> bool:
    """Does a carve on `path` cover `symbol` (ancestor-or-self)?"""
    return any(c.path == path and symbols.covers(c.symbol, symbol) for c in carves)


def carves_for(path: str, wanted: Iterable[str], by: int) -> tuple[Carve, ...]:
    """The carves a symbol claim `by` on `path` takes out of a whole-file claim."""
    return tuple(Carve(path, s, by) for s in symbols.normalise(wanted))


def inside(holder: ActiveClaim, claim: ActiveClaim) -> bool:
    """Could `claim` sit in one of the holder's carves (another engineer's symbol claim)?"""
    return bool(claim.symbols) and claim.id != holder.id and claim.engineer != holder.engineer


@dataclass(frozen=True, slots=True)
class AfterEnd:
    """The holder's carves and partners once some claims ended, and who took a carve over."""

    carved: tuple[Carve, ...]
    partners: tuple[int, ...]
    takers: tuple[int, ...]  # claims that took over a carve (and become the holder's partners)


def after_end(holder: ActiveClaim, ended: Collection[int], still_active: Iterable[ActiveClaim]) -> AfterEnd:
    """The holder's state once the claims `ended` are over.

    `still_active` are the claims that go on (any engineer, any path; others are
    ignored). Each carve an ended claim held is kept, for every still-active
    claim of another engineer on that path whose symbols it covers, as a carve
    by that claim, unless the holder already carves that symbol for it.
    """
    kept = [c for c in holder.carved if c.by not in ended]
    lost = [c for c in holder.carved if c.by in ended]
    partners = [p for p in holder.partners if p not in ended]
    takers: list[int] = []
    if lost:
        for claim in sorted(still_active, key=lambda c: c.id):
            if claim.id in ended or not inside(holder, claim):
                continue
            mine = [c for c in kept if c.by == claim.id]
            for symbol in claim.symbols:
                if not covered(lost, claim.pattern, symbol) or covered(mine, claim.pattern, symbol):
                    continue
                carve = Carve(claim.pattern, symbol, claim.id)
                kept.append(carve)
                mine.append(carve)
                if claim.id not in takers:
                    takers.append(claim.id)
                if claim.id not in partners:
                    partners.append(claim.id)
    return AfterEnd(tuple(kept), tuple(partners), tuple(takers))
