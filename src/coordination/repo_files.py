"""The service's view of an application checkout: tracked files and their source."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from pathlib import Path

from coordination.core.files import FileSet

MAX_SOURCE_BYTES = 2 * 1024 * 1024

log = logging.getLogger(__name__)


class RepoFiles:
    """`git ls-files` of COORD_REPO_ROOT (optionally one subdirectory), cached for a TTL.

    Only the first listing is taken by the caller that asks for it. After that a list
    older than the TTL is refreshed by a background thread while callers keep getting
    the list in hand, so no request (and no lock a request holds) waits for git; a
    changed list is matched incrementally (`FileSet.updated`). A TTL of 0 lists on
    every call, in the caller's thread.
    """

    def __init__(self, root: Path, scope: str | None, ttl_sec: float) -> None:
        self.root = root.resolve()
        self.scope = scope.strip("/") if scope else None
        self.ttl_sec = ttl_sec
        self._lock = threading.Lock()  # guards the fields below; never held while listing
        self._listing = threading.Lock()  # held by the one listing in progress
        self._snapshot: FileSet | None = None
        self._listed: bytes | None = None  # git's output behind the snapshot
        self._taken_at = 0.0
        self._refreshing = False

    def snapshot(self) -> FileSet:
        """The tracked files; the same object until the list really changes, so a caller
        can tell a refresh that changed something (see `Coordinator.check_drift`)."""
        with self._lock:
            current = self._snapshot
            if current is not None and self.ttl_sec > 0:
                if time.monotonic() - self._taken_at >= self.ttl_sec and not self._refreshing:
                    self._refreshing = True
                    threading.Thread(target=self._refresh_in_background, name="coord-ls-files", daemon=True).start()
                return current
        if self.ttl_sec > 0:
            with self._listing:  # the first listing: one caller lists, the others wait for it
                if self._snapshot is not None:
                    return self._snapshot
                return self._refresh_listing()
        return self.refresh()

    def refresh(self) -> FileSet:
        """List the tracked files now and install the snapshot (unchanged output: the same one)."""
        with self._listing:
            return self._refresh_listing()

    def _refresh_listing(self) -> FileSet:
        listed = self._ls_output()
        with self._lock:
            current, unchanged = self._snapshot, listed == self._listed
        if current is None or not unchanged:
            paths = [p for p in listed.decode("utf-8", "surrogateescape").split("\0") if p]
            current = current.updated(paths) if current is not None else FileSet(paths)
        with self._lock:
            self._snapshot, self._listed, self._taken_at = current, listed, time.monotonic()
        return current

    def _refresh_in_background(self) -> None:
        try:
            self.refresh()
        except Exception as exc:  # git failed: keep the list in hand, try again after the TTL
            log.warning("git ls-files failed (%s: %s); keeping the previous file list", type(exc).__name__, exc)
            with self._lock:
                self._taken_at = time.monotonic()
        finally:
            with self._lock:
                self._refreshing = False

    def _ls_output(self) -> bytes:
        args = ["git", "-C", str(self.root), "ls-files", "-z", "--cached"]
        if self.scope:
            args += ["--", self.scope]
        return subprocess.run(args, capture_output=True, check=True, timeout=30).stdout

    def read(self, path: str) -> bytes | None:
        """The file's bytes in the checkout, or None if absent, outside the root or too big."""
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root) or not target.is_file():
            return None
        if target.stat().st_size > MAX_SOURCE_BYTES:
            return None
        return target.read_bytes()
