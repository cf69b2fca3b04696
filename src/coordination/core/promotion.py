"""Hotspots and promotion rules: which patterns agents keep being refused on, and what to do.

Pure: every function takes the attempts, the entries and `now` as arguments and
returns a value; the service reads the audit trail and writes owners.yaml.

Thresholds of the suggested action, for the attempts counted in the window:

- `SUGGEST_MIN_ATTEMPTS` (10) or more refused attempts on a single file:
  `shared_file` (promote it to `shared_files`, so several agents may edit it).
- the same count on a glob or directory (`src/auth/**`): `split` (split into
  modules: agents ask for the whole subtree, the remedy is smaller pieces).
- `MONITOR_MIN_ATTEMPTS` (3) or more, below the above: `monitor`.
- fewer than 3: not a hotspot, not listed.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from coordination.core import globs
from coordination.core.ownership import AUTO_PROMOTED_MARK, PERMANENT_MARK

SUGGEST_MIN_ATTEMPTS = 10
MONITOR_MIN_ATTEMPTS = 3

SHARED_FILE = "shared_file"
SPLIT = "split"
MONITOR = "monitor"
ACTIONS = (SHARED_FILE, SPLIT)

_AUTO_DATE = re.compile(re.escape(AUTO_PROMOTED_MARK) + r"(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One refused claim item: a `conflict` audit event."""

    pattern: str
    engineer: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Hotspot:
    pattern: str
    attempts: int
    engineers: int
    last_attempt_at: datetime
    suggested_action: str


def suggest(pattern: str, attempts: int) -> str | None:
    """The chip for `attempts` refused attempts on `pattern` in the window (None: not a hotspot)."""
    if attempts >= SUGGEST_MIN_ATTEMPTS:
        return SHARED_FILE if globs.is_literal(pattern) else SPLIT
    if attempts >= MONITOR_MIN_ATTEMPTS:
        return MONITOR
    return None


def rank(attempts: Iterable[Attempt], since: datetime, now: datetime) -> list[Hotspot]:
    """Hotspots among the attempts made in [since, now], most attempts first.

    Ties go to the pattern refused most recently, then alphabetical order.
    """
    counts: dict[str, int] = {}
    engineers: dict[str, set[str]] = {}
    last: dict[str, datetime] = {}
    for attempt in attempts:
        if not since <= attempt.at <= now:
            continue
        counts[attempt.pattern] = counts.get(attempt.pattern, 0) + 1
        if attempt.engineer:
            engineers.setdefault(attempt.pattern, set()).add(attempt.engineer)
        if attempt.pattern not in last or attempt.at > last[attempt.pattern]:
            last[attempt.pattern] = attempt.at
    found = []
    for pattern, count in counts.items():
        action = suggest(pattern, count)
        if action is not None:
            found.append(Hotspot(pattern, count, len(engineers.get(pattern, ())), last[pattern], action))
    found.sort(key=lambda h: (-h.attempts, -h.last_attempt_at.timestamp(), h.pattern))
    return found


def promotion_due(pattern: str, attempts: int, threshold: int) -> bool:
    """Hard auto-promote: a single file whose refused attempts in the window reached the threshold."""
    return threshold > 0 and attempts >= threshold and globs.is_literal(pattern)


def attempts_on(entry: str, patterns: Iterable[str]) -> int:
    """How many refused attempts a shared_files entry covers (a glob entry counts every file under it)."""
    literal = globs.is_literal(entry)
    return sum(1 for p in patterns if p == entry or (not literal and globs.is_literal(p) and globs.matches(entry, p)))


def auto_mark(day: date) -> str:
    return f"{AUTO_PROMOTED_MARK}{day.isoformat()}"


@dataclass(frozen=True, slots=True)
class Marks:
    promoted: date | None
    permanent: bool

    @property
    def managed(self) -> bool:
        """Added by coord and not pinned by an operator: the only entries coord may remove."""
        return self.promoted is not None and not self.permanent


def read_marks(comment: str | None) -> Marks:
    """The markers in an entry's end-of-line comment (an unreadable date counts as no marker)."""
    if not comment:
        return Marks(None, False)
    promoted = None
    found = _AUTO_DATE.search(comment)
    if found:
        try:
            promoted = date.fromisoformat(found.group(1))
        except ValueError:
            promoted = None
    return Marks(promoted, PERMANENT_MARK in comment)


def demotion_due(marks: Marks, attempts: int, today: date, window_days: int, threshold: int) -> bool:
    """Auto-demote: a coord-managed entry promoted at least `window_days` ago whose refused
    attempts over the last `window_days` stayed below the threshold.

    Pinned (`coord-managed=permanent`) and operator entries (no marker) are never due; with
    the threshold at 0 (auto-promote off) nothing is below it, so nothing is due either.
    """
    if not marks.managed or marks.promoted is None or threshold <= 0:
        return False
    return marks.promoted <= today - timedelta(days=window_days) and attempts < threshold


def subtree_collapse(auto_leaves: Sequence[str], min_files: int) -> tuple[str, list[str]] | None:
    """The subtree glob to write instead of `min_files` or more auto-promoted leaves under one
    directory, with the leaves it replaces; None when no directory has enough.

    The deepest such directory wins (`src/auth/**` before `src/**`); files at the repo root
    never collapse (that would share the whole repo). `min_files` 0 disables.
    """
    if min_files <= 0:
        return None
    under: dict[str, list[str]] = {}
    for leaf in auto_leaves:
        if not globs.is_literal(leaf):
            continue
        parent = posixpath.dirname(leaf)
        while parent:
            under.setdefault(parent, []).append(leaf)
            parent = posixpath.dirname(parent)
    ready = [d for d, leaves in under.items() if len(leaves) >= min_files]
    if not ready:
        return None
    best = max(ready, key=lambda d: (d.count("/"), len(under[d]), d))
    return f"{best}/**", sorted(under[best])
