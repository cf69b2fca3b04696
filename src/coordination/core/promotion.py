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
from coordination.core.files import FileSet
from coordination.core.ownership import AUTO_PROMOTED_MARK, PERMANENT_MARK, PROMOTED_MARK
from coordination.core.validation import Limits

SUGGEST_MIN_ATTEMPTS = 10
MONITOR_MIN_ATTEMPTS = 3

SHARED_FILE = "shared_file"
SPLIT = "split"
MONITOR = "monitor"
ACTIONS = (SHARED_FILE, SPLIT)

_AUTO_DATE = re.compile(re.escape(AUTO_PROMOTED_MARK) + r"(\d{4}-\d{2}-\d{2})")
_API_DATE = re.compile(re.escape(PROMOTED_MARK) + r"(\d{4}-\d{2}-\d{2})")
# The markers of entries coord wrote (an upload keeps those entries; see `carried_over`).
MARKERS = (AUTO_PROMOTED_MARK, PROMOTED_MARK)


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


def api_mark(day: date) -> str:
    """The marker of an entry written by `POST /metrics/hotspots/promote`."""
    return f"{PROMOTED_MARK}{day.isoformat()}"


@dataclass(frozen=True, slots=True)
class Marks:
    promoted: date | None
    permanent: bool
    api_promoted: date | None = None

    @property
    def managed(self) -> bool:
        """Added by coord and not pinned by an operator: the only entries coord may remove."""
        return self.promoted is not None and not self.permanent

    @property
    def coord_written(self) -> bool:
        """Written by coord (auto-promote or the promote API), pinned or not: an upload
        that does not list it keeps it unless the caller asks to replace such entries."""
        return self.promoted is not None or self.api_promoted is not None


def read_marks(comment: str | None) -> Marks:
    """The markers in an entry's end-of-line comment (an unreadable date counts as no marker)."""
    if not comment:
        return Marks(None, False)
    return Marks(_date(_AUTO_DATE, comment), PERMANENT_MARK in comment, _date(_API_DATE, comment))


def _date(marker: re.Pattern[str], comment: str) -> date | None:
    found = marker.search(comment)
    if not found:
        return None
    try:
        return date.fromisoformat(found.group(1))
    except ValueError:
        return None


def carried_over(stored: Sequence[tuple[str, str]], uploaded: Iterable[str]) -> list[tuple[str, str]]:
    """The coord-written entries (value, end-of-line comment) of a stored list that an
    uploaded file's list does not have: what an upload keeps unless asked to replace them.
    An entry the upload lists itself (marked or not) is the upload's."""
    listed = set(uploaded)
    out: list[tuple[str, str]] = []
    for value, comment in stored:
        if value not in listed and read_marks(comment).coord_written:
            listed.add(value)
            out.append((value, comment))
    return out


def demotion_due(marks: Marks, attempts: int, today: date, window_days: int, threshold: int) -> bool:
    """Auto-demote: a coord-managed entry promoted at least `window_days` ago whose refused
    attempts over the last `window_days` stayed below the threshold.

    Pinned (`coord-managed=permanent`) and operator entries (no marker) are never due; with
    the threshold at 0 (auto-promote off) nothing is below it, so nothing is due either.
    """
    if not marks.managed or marks.promoted is None or threshold <= 0:
        return False
    return marks.promoted <= today - timedelta(days=window_days) and attempts < threshold


def promotion_problem(pattern: str, files: FileSet | None, limits: Limits) -> str | None:
    """Why `pattern` may not be written as a `shared_files` rule by coord (None: it may),
    as a clause about the pattern ("it covers ...").

    A shared rule turns every later claim under it cooperative, so it may cover at most
    what one claim may cover: a single file always; a glob only below a named directory
    (never `**`, `*.json` or anything else rooted at the repo root) and, with a checkout,
    at most COORD_MAX_CLAIM_FILES tracked files and COORD_MAX_CLAIM_RATIO of them (never
    every tracked file, even where the ratio is not enforced).
    """
    if globs.is_literal(pattern):
        return None
    if any(not prefix for prefix in globs.literal_prefixes(pattern)):
        return "it starts at the repo root; a shared rule must sit below a named directory"
    if files is None or not len(files):
        return None
    count = len(files.matching(pattern))
    if count > limits.max_claim_files:
        return (
            f"it covers {count} tracked files, more than a claim may cover "
            f"({limits.max_claim_files}, COORD_MAX_CLAIM_FILES)"
        )
    if count > 1 and count == len(files):
        return "it covers every tracked file of the repo"
    if limits.enforce_ratio and count > 1 and count / len(files) > limits.max_claim_ratio:
        return (
            f"it covers {count / len(files):.0%} of the repo's {len(files)} tracked files, more than a "
            f"claim may cover ({limits.max_claim_ratio:.0%}, COORD_MAX_CLAIM_RATIO)"
        )
    return None


def subtree_collapse(
    auto_leaves: Sequence[str],
    min_files: int,
    files: FileSet | None = None,
    limits: Limits | None = None,
) -> tuple[str, list[str]] | None:
    """The subtree glob to write instead of `min_files` or more auto-promoted leaves, with
    the leaves it replaces; None when no directory qualifies.

    A directory qualifies only as the deepest common directory of the leaves under it
    (deepest first: `src/auth/**` before `src/**`), and only when those leaves are
    most of it: with a checkout (`files`), at least half of the tracked files under it,
    and `dir/**` within `promotion_problem`'s bounds; without one, only when every leaf
    sits directly in that directory. Files at the repo root never collapse (that would
    share the whole repo). `min_files` 0 disables.
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
    ready.sort(key=lambda d: (-d.count("/"), -len(under[d]), d))
    for directory in ready:
        leaves = sorted(under[directory])
        if posixpath.commonpath([posixpath.dirname(leaf) for leaf in leaves]) != directory:
            continue  # a deeper directory holds them all: it was tried first
        if _subtree_allowed(directory, leaves, files, limits or Limits()):
            return f"{directory}/**", leaves
    return None


def _subtree_allowed(directory: str, leaves: list[str], files: FileSet | None, limits: Limits) -> bool:
    subtree = f"{directory}/**"
    tracked = files.matching(subtree) if files is not None else frozenset()
    if not tracked:
        return all(posixpath.dirname(leaf) == directory for leaf in leaves)
    promoted = sum(1 for leaf in leaves if leaf in tracked)
    return 2 * promoted >= len(tracked) and promotion_problem(subtree, files, limits) is None
