"""Notice when a file this process holds open is deleted or replaced under it.

SQLite keeps writing into an open file after its path is unlinked or renamed
over: the writes are acknowledged and then lost, and the next process to open
the path gets a different file. Comparing the device and inode of what we
opened with what the path names now is one `stat` call, cheap enough to do in
every transaction.
"""

from __future__ import annotations

import os
from pathlib import Path


class FileIdentity:
    def __init__(self, path: Path, what: str, fd: int | None = None) -> None:
        self.path = path
        self.what = what
        st = os.fstat(fd) if fd is not None else os.stat(path)
        self._key = (st.st_dev, st.st_ino)

    def problem(self) -> str | None:
        """None while the path still names the file we opened, else what happened to it."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return (
                f"the {self.what} {self.path} was deleted while the server was running; "
                "nothing more is written to it: restore it or restart coord"
            )
        except OSError as exc:
            return f"cannot check the {self.what} {self.path}: {exc.strerror or exc}"
        if (st.st_dev, st.st_ino) != self._key:
            return (
                f"the {self.what} {self.path} was replaced by another file while the server was running; "
                "nothing more is written to it: restart coord to use the new file"
            )
        return None
