"""The conflict engine: GRANT, AUTO_COEXIST, AUTO_NARROW, CONFLICT or INVALID per item.

Pure: the caller passes the repo's claim book, the overlap test (exact glob or
tracked-file based) and a liveness test (expiry and idle sessions at `now`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from coordination.core import globs, symbols
from coordination.core.book import ClaimBook
from coordination.core.files import FileSet, overlap_function
from coordination.core.model import ActiveClaim, ClaimItem, ClaimType, Decision, Outcome
from coordination.core.validation import Limits, item_problem


class _Relation(Enum):
    NONE = 0
    CONFLICT = 1
    COEXIST = 2
    NARROW = 3


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a decision depends on besides the claims themselves."""

    overlaps: Callable[[str, str], bool]
    is_live: Callable[[ActiveClaim], bool]

    @classmethod
    def build(cls, files: FileSet | None, is_live: Callable[[ActiveClaim], bool]) -> Context:
        return cls(overlaps=overlap_function(files), is_live=is_live)


def effective_pattern(item: ClaimItem) -> str:
    """The pattern the engine compares: a module directory means its whole subtree."""
    if item.type is ClaimType.MODULE:
        return globs.module_pattern(item.pattern)
    # `src/x.py/` names the same path as `src/x.py`; store one spelling.
    return item.pattern.rstrip("/") or item.pattern


def decide(
    engineer: str,
    items: Sequence[ClaimItem],
    book: ClaimBook,
    ctx: Context,
    files: FileSet | None = None,
    limits: Limits | None = None,
) -> list[Decision]:
    """Decide every item of one request; the request is granted only if all are."""
    limits = limits or Limits()
    decisions = []
    for item in items:
        problem = item_problem(item, files, limits)
        if problem:
            decisions.append(Decision(item=item, outcome=Outcome.INVALID, reason=problem))
        else:
            decisions.append(decide_item(engineer, item, book, ctx))
    return decisions


def decide_item(engineer: str, item: ClaimItem, book: ClaimBook, ctx: Context) -> Decision:
    pattern = effective_pattern(item)
    wanted = symbols.normalise(item.symbols)
    blocking: list[ActiveClaim] = []
    narrowed: list[ActiveClaim] = []
    partners: list[ActiveClaim] = []
    refreshes: ActiveClaim | None = None
    for held in book.candidates(pattern):
        if not ctx.is_live(held):
            continue
        if held.engineer == engineer:
            if _same_scope(held, item.type, pattern, wanted):
                refreshes = held
            continue
        if not ctx.overlaps(pattern, held.pattern):
            continue
        relation = relate(item.type, wanted, held)
        if relation is _Relation.CONFLICT:
            blocking.append(held)
        elif relation is _Relation.NARROW:
            narrowed.append(held)
        elif relation is _Relation.COEXIST:
            partners.append(held)
    if refreshes is not None:
        # Renewing a scope you already hold cannot conflict with the partners
        # that were let in beside it.
        blocking = [c for c in blocking if c.id not in refreshes.partners]
    if blocking:
        return Decision(item=item, outcome=Outcome.CONFLICT, blocking=tuple(blocking))
    outcome = Outcome.GRANT
    if narrowed:
        outcome = Outcome.AUTO_NARROW
    elif partners:
        outcome = Outcome.AUTO_COEXIST
    return Decision(
        item=item,
        outcome=outcome,
        narrowed=tuple(narrowed),
        coexists_with=tuple(partners),
        refreshes=refreshes,
    )


def relate(new_type: ClaimType, new_symbols: tuple[str, ...], held: ActiveClaim) -> _Relation:
    """How a new item relates to a held claim whose paths overlap it.

    Also used, symmetrically, by the queue to ask whether a waiter still collides.
    """
    if new_type is ClaimType.SHARED_FILE and held.type is ClaimType.SHARED_FILE:
        return _Relation.NONE
    if ClaimType.MODULE in (new_type, held.type):
        return _Relation.CONFLICT
    if ClaimType.SHARED_FILE in (new_type, held.type):
        return _Relation.CONFLICT
    # file vs file
    if new_symbols and held.symbols:
        if symbols.colliding(new_symbols, held.symbols):
            return _Relation.CONFLICT
        return _Relation.COEXIST
    if new_symbols:
        # Every symbol claim inside a whole-file claim takes its own carve, even
        # where another claim already carved those symbols on that path: a carve
        # then lives exactly as long as the claim that holds it (core.carves).
        return _Relation.NARROW if held.narrowable else _Relation.CONFLICT
    return _Relation.CONFLICT


def _same_scope(held: ActiveClaim, type_: ClaimType, pattern: str, wanted: tuple[str, ...]) -> bool:
    return held.type is type_ and held.pattern == pattern and held.symbols == wanted


def collide(a: ActiveClaim, b: ActiveClaim) -> bool:
    """May these two claims of different engineers, whose paths overlap, not both hold?

    Neither could have been granted beside the other: not shared together, not
    symbol claims with disjoint symbols, not carved one out of the other, not
    partners by a holder's answer.
    """
    if a.id in b.partners or b.id in a.partners:
        return False
    blocked = (_Relation.CONFLICT, _Relation.NARROW)
    return relate(a.type, a.symbols, b) in blocked and relate(b.type, b.symbols, a) in blocked
