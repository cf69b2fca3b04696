"""The repo's owners.yaml: upload and read it, promote a hotspot into it, auto-promote and auto-demote.

The rules (thresholds, markers, subtree collapse) live in `coordination.core.promotion`;
this module edits the stored owners.yaml with the round-trip editor, so operator
comments survive every change. Auto-promote runs as a `conflicts_recorded`
subscriber, inside the claim transaction that recorded the refused attempts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from coordination import ownership_yaml, records
from coordination.core import globs
from coordination.core import promotion as rules
from coordination.core.limits import MAX_PROMOTE_PATTERN_LENGTH as MAX_PATTERN_LEN
from coordination.core.ownership import Ownership, clip
from coordination.errors import Invalid
from coordination.service.context import ServiceContext, check_identity
from coordination.service.ownership_records import (
    ManagedChanges,
    ManagedEntry,
    OwnershipDocument,
    Promotion,
    ownership_document,
)
from coordination.service.rules import parse_cached, stored_text
from coordination.service.uow import PlainWrite
from coordination.store import Tx
from coordination.store import audit as audit_rows
from coordination.store import ownership as ownership_rows

__all__ = ["MANAGED_KEYS", "MAX_PATTERN_LEN", "SHARED_KEY", "SPLIT_KEY", "Owners"]

log = logging.getLogger("coordination.service")

SHARED_KEY = "shared_files"
SPLIT_KEY = "split_candidates"
MANAGED_KEYS = (SHARED_KEY, SPLIT_KEY)


class Owners:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def get_ownership(self, repo_id: str) -> str:
        check_identity(None, repo_id, None)
        with self.ctx.store.read() as tx:
            return stored_text(tx, repo_id)

    def read(self, repo_id: str) -> OwnershipDocument:
        """`GET /config/ownership`: the stored owners.yaml (empty when none was uploaded) and its rules."""
        text = self.get_ownership(repo_id)
        return ownership_document(repo_id, text, self.ownership_rules(text))

    def ownership_rules(self, text: str) -> Ownership:
        """The rules of a stored owners.yaml (none when it no longer reads, e.g. a file
        stored before a bound it breaks existed)."""
        return parse_cached(text)

    def on_conflicts(self, tx: Tx, repo_id: str, patterns: list[str], now: datetime) -> None:
        """Hard auto-promote, in the transaction that recorded the conflict events (see
        docs/ownership-automation.md): a bad edit is skipped, never a failed claim."""
        if self.ctx.settings.auto_promote_threshold <= 0 or not patterns:
            return
        try:
            self.auto_promote(tx, repo_id, patterns, now)
        except Invalid:
            log.warning("auto-promote skipped for %s: owners.yaml could not be edited", repo_id, exc_info=True)

    def promote(self, repo_id: str, action: str, pattern: str) -> Promotion:
        """Write a hotspot's rule into the repo's owners.yaml: `shared_file` appends the pattern
        to `shared_files`, `split` to the advisory `split_candidates` list. Idempotent."""
        check_identity(None, repo_id, None)
        if action not in rules.ACTIONS:
            raise Invalid(f"action must be one of {', '.join(rules.ACTIONS)}, not {action!r}")
        if not isinstance(pattern, str) or not pattern or len(pattern) > MAX_PATTERN_LEN:
            raise Invalid(f"pattern must be a non-empty path or glob of at most {MAX_PATTERN_LEN} characters")
        reason = globs.validate(pattern)
        if reason:
            raise Invalid(f"pattern {clip(repr(pattern))}: {reason}")
        key = SHARED_KEY if action == rules.SHARED_FILE else SPLIT_KEY
        if key == SHARED_KEY:
            problem = rules.promotion_problem(pattern, self.ctx.files(), self.ctx.limits)
            if problem:
                raise Invalid(f"cannot promote {clip(repr(pattern))} to {SHARED_KEY}: {problem}", item=pattern)
        with PlainWrite(self.ctx, repo_id) as w:
            tx, now = w.tx, w.now
            text = stored_text(tx, repo_id)
            doc = _document(text)
            present = [value for value, _ in ownership_yaml.entries(doc, key)]
            covered = _covering(pattern, present) if key == SHARED_KEY else (pattern if pattern in present else None)
            if covered is not None:
                how = "already listed" if covered == pattern else f"already covered by {covered!r}"
                return Promotion(repo_id, action, pattern, False, f"{pattern} {how} in {key}", text)
            ownership_yaml.append(doc, key, pattern, rules.api_mark(now.astimezone(UTC).date()))
            text = _save(tx, repo_id, doc, now, like=text)
            self.ctx.audit.event(tx, repo_id, "promote", None, None, pattern, now, {"action": action, "key": key})
        return Promotion(repo_id, action, pattern, True, f"{pattern} added to {key}", text)

    def upload(self, repo_id: str, text: str, replace_managed: bool = False) -> OwnershipDocument:
        """`POST /config/ownership`: store an uploaded owners.yaml, keeping what coord wrote.

        Entries coord wrote into the stored copy (`# auto-promoted=DATE`, `# coord-promoted=DATE`)
        that the upload does not list are appended to the uploaded document, with their
        markers, unless `replace_managed`; then they are dropped. The uploaded text is
        stored as sent when nothing is kept. Read and written under the repo's write lock,
        so an auto-promote in a claim transaction is never lost between the two. Returns
        the stored text, the rules read from it and what was kept or dropped.
        """
        check_identity(None, repo_id, None)
        try:
            doc, rules_in = ownership_yaml.read(text)
        except ValueError as exc:
            raise Invalid(str(exc), field="yaml") from exc
        kept: list[ManagedEntry] = []
        dropped: list[ManagedEntry] = []
        with PlainWrite(self.ctx, repo_id) as w:
            tx, now = w.tx, w.now
            stored = stored_text(tx, repo_id)
            old = None  # a stored copy without coord's markers, or one coord cannot read: nothing to keep
            if any(mark in stored for mark in rules.MARKERS):
                try:
                    old = ownership_yaml.document(stored)
                except ValueError:
                    old = None
            for key in MANAGED_KEYS if old is not None else ():
                uploaded = [value for value, _ in ownership_yaml.entries(doc, key)]
                for value, comment in rules.carried_over(ownership_yaml.entries(old, key), uploaded):
                    entry = ManagedEntry(key, value, comment)
                    if replace_managed:
                        dropped.append(entry)
                    else:
                        ownership_yaml.append(doc, key, value, comment)
                        kept.append(entry)
            if kept:
                text = ownership_yaml.dump(doc, like=text)
                rules_in = ownership_yaml.parse(text)  # what is stored must read back
            ownership_rows.save(tx, repo_id, text, records.to_epoch(now))
            detail = {
                "owners": len(rules_in.owners),
                "shared_files": len(rules_in.shared_files),
                "kept": len(kept),
                "dropped": len(dropped),
            }
            self.ctx.audit.event(tx, repo_id, "ownership", None, None, None, now, detail)
        return ownership_document(repo_id, text, rules_in, ManagedChanges(tuple(kept), tuple(dropped)))

    def auto_promote(self, tx: Tx, repo_id: str, patterns: list[str], now: datetime) -> list[str]:
        """Hard auto-promote, run inside the repo write transaction that
        recorded the `conflict` events: every single file among `patterns` whose refused
        attempts within COORD_AUTO_PROMOTE_WINDOW_DAYS reached COORD_AUTO_PROMOTE_THRESHOLD
        is appended to `shared_files` with `# auto-promoted=DATE`. The entries written."""
        threshold = self.ctx.settings.auto_promote_threshold
        if threshold <= 0:
            return []
        candidates = sorted({p for p in patterns if globs.is_literal(p)})
        if not candidates:
            return []
        since = records.to_epoch(now - timedelta(days=self.ctx.settings.auto_promote_window_days))
        due = []
        for pattern in candidates:
            count = audit_rows.count_events(tx, repo_id, "conflict", pattern=pattern, after=since)
            if rules.promotion_due(pattern, count, threshold):
                due.append((pattern, count))
        if not due:
            return []
        text = stored_text(tx, repo_id)
        try:
            doc = _document(text)
        except Invalid:
            return []  # a stored file that no longer parses is the operator's to fix; never overwrite it
        mark = rules.auto_mark(now.astimezone(UTC).date())
        window = self.ctx.settings.auto_promote_window_days
        events: list[tuple[str, dict[str, Any]]] = []
        for pattern, count in due:
            if _covering(pattern, [v for v, _ in ownership_yaml.entries(doc, SHARED_KEY)]) is not None:
                continue
            ownership_yaml.append(doc, SHARED_KEY, pattern, mark)
            events.append((pattern, {"attempts": count, "window_days": window, "threshold": threshold}))
        if not events:
            return []
        events += self._collapse_subtrees(doc, mark)
        _save(tx, repo_id, doc, now, like=text)  # raises before any event is written if the edit is bad
        for pattern, detail in events:
            self.ctx.audit.event(tx, repo_id, "auto-promote", None, None, pattern, now, detail)
        return [pattern for pattern, _ in events]

    def _collapse_subtrees(self, doc: Any, mark: str) -> list[tuple[str, dict[str, Any]]]:
        """Replace COORD_AUTO_PROMOTE_SUBTREE_MIN_FILES auto-promoted leaves under one directory
        by `dir/**` when `rules.subtree_collapse` allows it (only entries coord manages;
        operator and pinned entries stay)."""
        minimum = self.ctx.settings.auto_promote_subtree_min_files
        files = self.ctx.files()
        written: list[tuple[str, dict[str, Any]]] = []
        while True:
            managed = [v for v, c in ownership_yaml.entries(doc, SHARED_KEY) if rules.read_marks(c).managed]
            found = rules.subtree_collapse(managed, minimum, files, self.ctx.limits)
            if found is None:
                return written
            subtree, leaves = found
            ownership_yaml.remove(doc, SHARED_KEY, set(leaves))
            if subtree not in [v for v, _ in ownership_yaml.entries(doc, SHARED_KEY)]:
                ownership_yaml.append(doc, SHARED_KEY, subtree, mark)
            written.append((subtree, {"subtree": True, "replaces": leaves}))

    def auto_demote(self) -> dict[str, int]:
        """The sweep: remove coord-managed `shared_files` entries (auto-promoted marker, not
        pinned) promoted at least COORD_AUTO_DEMOTE_WINDOW_DAYS ago whose refused attempts over
        that window stayed below COORD_AUTO_PROMOTE_THRESHOLD. Each removal: an `auto-demote` event."""
        threshold = self.ctx.settings.auto_promote_threshold
        if threshold <= 0:
            return {"demoted": 0}
        window = self.ctx.settings.auto_demote_window_days
        with self.ctx.store.read() as tx:
            repos = [repo for repo, text in ownership_rows.all_texts(tx) if rules.AUTO_PROMOTED_MARK in text]
        demoted = 0
        for repo_id in repos:
            with PlainWrite(self.ctx, repo_id) as w:
                tx, now = w.tx, w.now
                text = stored_text(tx, repo_id)
                try:
                    doc = _document(text)
                except Invalid:
                    continue
                since = records.to_epoch(now - timedelta(days=window))
                patterns = audit_rows.patterns_since(tx, repo_id, "conflict", since)
                today = now.astimezone(UTC).date()
                gone: dict[str, int] = {}
                for value, comment in ownership_yaml.entries(doc, SHARED_KEY):
                    count = rules.attempts_on(value, patterns)
                    if rules.demotion_due(rules.read_marks(comment), count, today, window, threshold):
                        gone[value] = count
                if not gone:
                    continue
                ownership_yaml.remove(doc, SHARED_KEY, set(gone))
                _save(tx, repo_id, doc, now, like=text)
                for value, count in gone.items():
                    detail = {"attempts": count, "window_days": window, "threshold": threshold}
                    self.ctx.audit.event(tx, repo_id, "auto-demote", None, None, value, now, detail)
                demoted += len(gone)
        return {"demoted": demoted}


def _covering(pattern: str, entries: list[str]) -> str | None:
    """The shared_files entry that already makes `pattern` shared, if any."""
    if pattern in entries:
        return pattern
    if globs.is_literal(pattern):
        for entry in entries:
            if not globs.is_literal(entry) and globs.matches(entry, pattern):
                return entry
    return None


def _document(text: str) -> Any:
    try:
        return ownership_yaml.document(text)
    except ValueError as exc:
        raise Invalid(f"the stored owners.yaml cannot be edited: {exc}") from exc


def _save(tx: Tx, repo_id: str, doc: Any, now: datetime, like: str = "") -> str:
    """Store the edited document (laid out like the text it was read from), after
    checking it still reads as valid rules."""
    text = ownership_yaml.dump(doc, like=like)
    try:
        ownership_yaml.parse(text)
    except ValueError as exc:  # never store a file coord itself could not read back
        raise Invalid(f"owners.yaml edit would not be valid: {exc}") from exc
    ownership_rows.save(tx, repo_id, text, records.to_epoch(now))
    return text
