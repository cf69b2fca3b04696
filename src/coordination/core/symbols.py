"""Canonical symbol paths: `Name`, `Parent::child`, `Outer::Inner::method`.

A claim on `X` covers `X` itself and every `X::...` descendant, so two symbols
collide exactly when one is an ancestor-or-self of the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from coordination.core.limits import MAX_SYMBOL_LENGTH, MAX_SYMBOLS_PER_CLAIM

__all__ = [
    "MAX_SYMBOLS_PER_CLAIM",
    "MAX_SYMBOL_LENGTH",
    "SEPARATOR",
    "collide",
    "colliding",
    "covers",
    "normalise",
    "parts",
    "validate",
]

SEPARATOR = "::"

# A part is an identifier as the supported languages spell them; `#` allows
# TypeScript private names, `$` JavaScript identifiers.
_PART = re.compile(r"^#?[A-Za-z_$][A-Za-z0-9_$]*$")


def validate(symbol: str) -> str | None:
    """Return why `symbol` is not a canonical symbol path, or None."""
    if not symbol:
        return "symbol must not be empty"
    if len(symbol) > MAX_SYMBOL_LENGTH:
        return f"symbol longer than {MAX_SYMBOL_LENGTH} characters"
    for part in symbol.split(SEPARATOR):
        if not _PART.match(part):
            return f"malformed symbol {symbol!r}: parts must be identifiers joined by '::'"
    return None


def parts(symbol: str) -> tuple[str, ...]:
    return tuple(symbol.split(SEPARATOR))


def covers(holder: str, other: str) -> bool:
    """True when a claim on `holder` includes `other` (ancestor-or-self)."""
    return other == holder or other.startswith(holder + SEPARATOR)


def collide(a: str, b: str) -> bool:
    return covers(a, b) or covers(b, a)


def colliding(mine: Iterable[str], theirs: Iterable[str]) -> list[tuple[str, str]]:
    """Every (mine, theirs) pair that overlaps; empty means the sets are disjoint."""
    theirs = list(theirs)
    return [(a, b) for a in mine for b in theirs if collide(a, b)]


def normalise(symbols: Iterable[str]) -> tuple[str, ...]:
    """Sorted, de-duplicated, with descendants of other listed symbols dropped."""
    unique = sorted(set(symbols))
    kept: list[str] = []
    for symbol in unique:
        if not any(covers(k, symbol) for k in kept):
            kept.append(symbol)
    return tuple(kept)
