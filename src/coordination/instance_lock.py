"""The advisory `<db>.lock`: one coord process per SQLite file unless told otherwise."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class InstanceLocked(RuntimeError):
    pass


class InstanceLock:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held for the life of the process
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
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
