"""The service's view of an application checkout: tracked files and their source."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

from coordination.core.files import FileSet

MAX_SOURCE_BYTES = 2 * 1024 * 1024


class RepoFiles:
    """`git ls-files` of COORD_REPO_ROOT (optionally one subdirectory), cached for a TTL."""

    def __init__(self, root: Path, scope: str | None, ttl_sec: float) -> None:
        self.root = root.resolve()
        self.scope = scope.strip("/") if scope else None
        self.ttl_sec = ttl_sec
        self._lock = threading.Lock()
        self._snapshot: FileSet | None = None
        self._taken_at = 0.0

    def snapshot(self) -> FileSet:
        """The tracked files; the same object until the list really changes, so a caller
        can tell a refresh that changed something (see `Coordinator.check_drift`)."""
        with self._lock:
            if self._snapshot is None or time.monotonic() - self._taken_at >= self.ttl_sec:
                fresh = FileSet(self._ls_files())
                if self._snapshot is None or fresh.paths != self._snapshot.paths:
                    self._snapshot = fresh
                self._taken_at = time.monotonic()
            return self._snapshot

    def _ls_files(self) -> list[str]:
        args = ["git", "-C", str(self.root), "ls-files", "-z", "--cached"]
        if self.scope:
            args += ["--", self.scope]
        out = subprocess.run(args, capture_output=True, check=True, timeout=30).stdout
        return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]

    def read(self, path: str) -> bytes | None:
        """The file's bytes in the checkout, or None if absent, outside the root or too big."""
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root) or not target.is_file():
            return None
        if target.stat().st_size > MAX_SOURCE_BYTES:
            return None
        return target.read_bytes()
