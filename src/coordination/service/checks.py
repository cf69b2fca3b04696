"""Read-only answers about scope: what `POST /claims` would say (`check_conflicts`) and
who covers the files a push changes (`verify`). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from coordination.core import globs, identity, spelling, validation
from coordination.core.book import ClaimBook
from coordination.core.decisions import Context, decide_item, effective_pattern
from coordination.core.files import overlap_function
from coordination.core.model import ActiveClaim, ClaimItem, ClaimType, Outcome
from coordination.core.suggestions import conflict_suggestion
from coordination.errors import Invalid
from coordination.service.context import ServiceContext, check_identity
from coordination.service.drift import Drift
from coordination.service.records import (
    ConflictCheck,
    Covering,
    UncheckedPath,
    Verification,
    conflicting,
    covering,
)
from coordination.service.rules import as_stored_type

__all__ = ["Checks", "blocks_push"]


class Checks:
    def __init__(self, ctx: ServiceContext, drift: Drift) -> None:
        self.ctx = ctx
        self.drift = drift

    def check_conflicts(
        self,
        repo_id: str,
        engineer: str | None,
        paths: Sequence[str],
        symbol_specs: Sequence[str] = (),
    ) -> ConflictCheck:
        """What POST /claims would say for these paths, without writing anything."""
        ctx = self.ctx
        check_identity(engineer, repo_id, None)
        if not paths and not symbol_specs:
            raise Invalid("give at least one path (paths=...) or symbol (symbols=path::Name)")
        if len(paths) + len(symbol_specs) > ctx.limits.max_items:
            raise Invalid(
                f"at most {ctx.limits.max_items} paths and symbols per request, got "
                f"{len(paths) + len(symbol_specs)}; split the check into several requests",
                field="paths",
            )
        wanted: dict[str, list[str]] = {p: [] for p in paths}
        for spec in symbol_specs:
            path, sep, symbol = spec.partition("::")
            if not sep or not symbol:
                raise Invalid(f"symbols entries look like 'path::Name', got {spec!r}")
            wanted.setdefault(path, []).append(symbol)
        files = ctx.files()
        items = [spelling.respell(ClaimItem(ClaimType.FILE, p, tuple(s)), files)[0] for p, s in wanted.items()]
        for item in items:
            problem = validation.item_problem(item, None, ctx.limits)
            if problem:
                raise Invalid(problem)
        self.drift.check_drift(files)
        now = ctx.clock()
        # The costly part, matching patterns against the file list, runs outside
        # the repo's lock: the lock only hands out the candidate claims.
        ctx.warm(files, repo_id, items)
        with ctx.synced(repo_id) as (book, is_live, rules):
            # Ask exactly what POST /claims would decide: a path in shared_files is a shared claim.
            items = [as_stored_type(item, rules) for item in items]
            subset = ClaimBook(
                {c.id: c for i in items for c in book.candidates(effective_pattern(i)) if is_live(c)}.values()
            )
        scope = Context(overlap_function(files), is_live)
        try:
            decisions = [decide_item(engineer or "", i, subset, scope) for i in items]
        except globs.PatternTooComplex as exc:
            raise Invalid(str(exc)) from None
        blocked = [d for d in decisions if d.outcome is Outcome.CONFLICT]
        entries = tuple(conflicting(c, d.item.pattern) for d in blocked for c in d.blocking)
        owners = sorted({o for d in blocked for o in rules.owners_for(d.item.pattern)})
        suggestion = conflict_suggestion([c for d in blocked for c in d.blocking], owners, now)
        return ConflictCheck(entries, suggestion or None)

    def verify(self, repo_id: str, engineer: str, paths: Sequence[str]) -> Verification:
        """For each path, whether the engineer's own or someone else's claim covers it.

        Paths are file names, never globs: `pages/[id].tsx` is that one file. A
        path that cannot name a repo file (`..`, a backslash, a control
        character) is answered in `unchecked` with the reason; it never turns
        the check of the other paths off.
        """
        check_identity(engineer, repo_id, None)
        patterns: dict[str, str] = {}
        unchecked: list[UncheckedPath] = []
        for path in dict.fromkeys(paths):
            pattern = globs.escape(path)
            reason = globs.validate(pattern)
            if reason:
                unchecked.append(UncheckedPath(path, f"not a repo file path: {reason}"))
            else:
                patterns[path] = pattern
        files = self.ctx.files()
        self.drift.check_drift(files)
        overlaps = overlap_function(files)
        ours: list[Covering] = []
        theirs: list[Covering] = []
        with self.ctx.synced(repo_id) as (book, is_live, _):
            candidates = {p: [c for c in book.candidates(pattern) if is_live(c)] for p, pattern in patterns.items()}
        # Matching held patterns against the file list happens outside the repo's lock.
        covered = {p: [c for c in found if overlaps(patterns[p], c.pattern)] for p, found in candidates.items()}
        for path, found in covered.items():
            mine = [c for c in found if c.engineer == engineer]
            ours += [covering(c, path, same_person=True) for c in mine]
            for claim in found:
                if claim.engineer != engineer and blocks_push(claim, mine):
                    # The server's one rule: a push is never blocked by the same person's claims.
                    same = identity.same_person(engineer, claim.engineer, self.ctx.settings.same_person)
                    theirs.append(covering(claim, path, same_person=same))
        return Verification(tuple(ours), tuple(theirs), tuple(unchecked))


def blocks_push(claim: ActiveClaim, mine: Sequence[ActiveClaim]) -> bool:
    """Does another engineer's claim on a changed file stop the push?

    Shared files never do. A whole-file claim does unless our own symbol claims
    were carved out of it; a symbol claim does unless one of our claims on the
    file stands beside it by design (a coexisting or narrowed partner). Claims
    that only came to overlap when the tracked files changed are no partners:
    each stops the other's push.
    """
    if not claim.exclusive:
        return False
    if not claim.symbols:
        mine_ids = {c.id for c in mine}
        return not any(c.by in mine_ids for c in claim.carved)
    return not any(claim.id in m.partners or m.id in claim.partners for m in mine)
