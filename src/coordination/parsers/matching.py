"""Suggest the symbols nearest to a misspelt one (for "unknown symbol" hints)."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Final

from .base import SEPARATOR

# Symbols scoring at least this much are "close" and listed first; the value is
# difflib.get_close_matches' default cutoff.
CLOSE_CUTOFF: Final = 0.6


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def symbol_similarity(wanted: str, symbol: str) -> float:
    """Similarity in ``[0, 1]`` of a requested symbol path to an existing one.

    Case-insensitive.  The best of two comparisons: the full paths against each
    other, and the last components against each other.  The second one lets a
    bare or mis-parented name find its member: ``handleAuht`` and
    ``Admin::handleAuth`` both score high against ``Router::handleAuth``.
    """
    wanted_cf = wanted.casefold()
    symbol_cf = symbol.casefold()
    full = _ratio(wanted_cf, symbol_cf)
    last = _ratio(wanted_cf.rsplit(SEPARATOR, 1)[-1], symbol_cf.rsplit(SEPARATOR, 1)[-1])
    return max(full, last)


def _alphabetical(symbol: str) -> tuple[str, str]:
    """Case-insensitive order, case-sensitive only to break exact ties."""
    return (symbol.casefold(), symbol)


def closest_symbols(wanted: str, available: Iterable[str], limit: int | None = None) -> list[str]:
    """Every distinct symbol of ``available``, the ones closest to ``wanted`` first.

    Symbols whose :func:`symbol_similarity` reaches :data:`CLOSE_CUTOFF` come
    first, best score first; ties are broken by the full-path similarity, then
    alphabetically.  All other symbols follow in alphabetical order
    (case-insensitive).  ``limit``
    truncates the list when given; by default the whole list is returned and
    callers truncate.
    """
    wanted_cf = wanted.casefold()
    close: list[tuple[float, float, str, str]] = []
    rest: list[str] = []
    for symbol in set(available):
        score = symbol_similarity(wanted, symbol)
        if score >= CLOSE_CUTOFF:
            close.append((-score, -_ratio(wanted_cf, symbol.casefold()), *_alphabetical(symbol)))
        else:
            rest.append(symbol)
    close.sort()
    rest.sort(key=_alphabetical)
    ordered = [entry[-1] for entry in close] + rest
    return ordered if limit is None else ordered[: max(limit, 0)]
