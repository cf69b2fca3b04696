"""The advisory `<db>.lock`: one coord process per SQLite file unless told otherwise."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO

from coordination.store.identity import FileIdentity


class InstanceLockFailed(RuntimeError):
    """The instance lock could not be taken (held by another process, or the file cannot be made)."""


class InstanceLocked(InstanceLockFailed):
    pass


class InstanceLock:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._handle: IO[str] | None = None
        self._identity: FileIdentity | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+")  # noqa: SIM115 - held for the life of the process
        except OSError as exc:
            raise InstanceLockFailed(
                f"cannot create the instance lock file {self.path}: {exc.strerror or exc}; "
                "make the database directory writable by coord or point COORD_DATABASE_PATH elsewhere"
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise InstanceLocked(
                f"another coord instance (pid {holder}) is already using {self.path.with_suffix('')}; "
                "stop it (coord stop), point COORD_DATABASE_PATH elsewhere, or set "
                "COORD_DISABLE_INSTANCE_LOCK=1 if several processes share this file on purpose"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        except OSError as exc:
            with contextlib.suppress(OSError):  # closing flushes, and the disk may be full
                handle.close()
            reason = exc.strerror or exc
            raise InstanceLockFailed(f"cannot write the instance lock file {self.path}: {reason}") from None
        self._handle = handle
        self._identity = FileIdentity(self.path, "instance lock file", fd=handle.fileno())

    def problem(self) -> str | None:
        """None while we hold the lock on the file its path names; a second server could start otherwise."""
        return self._identity.problem() if self._identity is not None else None

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
            self._identity = None
