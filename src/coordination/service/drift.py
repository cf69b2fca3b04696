"""Drift: claims that came to overlap because the repo's tracked files changed.

Nothing is revoked: both holders get an `overlap-detected` notice, the audit log
(and webhook) an `overlap-detected` event, once per pair across replicas, and the
pre-push check treats each claim as the other engineer's (see docs/conflict-rules.md).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime

from coordination.core import drift
from coordination.core.files import FileSet
from coordination.service.context import ServiceContext
from coordination.service.uow import RepoWrite
from coordination.store import Tx
from coordination.store import audit as audit_rows
from coordination.store import claims as claim_rows

__all__ = ["Drift"]


class Drift:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        # The tracked-file list the last drift check ran against (see `check_drift`).
        self._checked: FileSet | None = None
        self._lock = threading.Lock()

    def check_drift(self, files: FileSet | None) -> None:
        """After the tracked-file list changed, report claims it made overlap (once per pair).

        Called outside any lock by the paths that read the file list (claim, check,
        verify, sweep).
        """
        if files is None or files is self._checked:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is checking this change
        try:
            before = self._checked
            with self.ctx.store.read() as tx:
                repos = claim_rows.active_repos(tx)
            for repo_id in sorted(repos):
                with self.ctx.synced(repo_id) as (book, is_live, _):
                    patterns = {c.pattern for c in book if is_live(c)}
                # Matching every held pattern against the new list is the costly part:
                # done outside the repo's lock, so the comparison below only reads caches.
                for pattern in patterns:
                    files.matching(pattern)
                    if before is not None:
                        before.matching(pattern)
                with self.ctx.synced(repo_id) as (book, is_live, _):
                    found = drift.new_overlaps(book, before, files, is_live)
                if found:
                    self._report_overlaps(repo_id, before, files)
            self._checked = files
        finally:
            self._lock.release()

    def _report_overlaps(self, repo_id: str, before: FileSet | None, files: FileSet) -> None:
        with RepoWrite(self.ctx, repo_id, files) as w:
            # Decided again under the lock, and recorded once per pair across replicas.
            for overlap in drift.new_overlaps(w.book, before, files, w.liveness()):
                if not _overlap_reported(w.tx, repo_id, overlap):
                    self._record_overlap(w.tx, repo_id, overlap, w.now)

    def _record_overlap(self, tx: Tx, repo_id: str, overlap: drift.Overlap, now: datetime) -> None:
        a, b = overlap.first, overlap.second
        paths = list(overlap.paths)
        self.ctx.audit.event(
            tx,
            repo_id,
            "overlap-detected",
            None,
            a.id,
            a.pattern,
            now,
            {
                "claims": [a.id, b.id],
                "engineers": [a.engineer, b.engineer],
                "patterns": [a.pattern, b.pattern],
                "paths": paths,
            },
        )
        for mine, theirs in ((a, b), (b, a)):
            self.ctx.audit.notice(
                tx,
                repo_id,
                mine.engineer,
                "overlap-detected",
                mine.id,
                now,
                {
                    "other_claim": theirs.id,
                    "other_engineer": theirs.engineer,
                    "other_pattern": theirs.pattern,
                    "paths": paths,
                    "message": (
                        f"the repo's tracked files changed: your claim {mine.pattern} and "
                        f"{theirs.engineer}'s claim {theirs.pattern} now both cover {', '.join(paths) or 'one path'}; "
                        "a push touching those files is blocked for both until one of you releases or narrows"
                    ),
                },
            )


def _overlap_reported(tx: Tx, repo_id: str, overlap: drift.Overlap) -> bool:
    details = audit_rows.event_details(tx, repo_id, "overlap-detected", overlap.first.id)
    return any(overlap.second.id in json.loads(d).get("claims", []) for d in details)
