"""Real storage faults for tests: a process holding SQLite's write lock, a small tmpfs, coord-api's exit."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import free_port

LOCKER = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "conn.execute('BEGIN EXCLUSIVE')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
)


@contextlib.contextmanager
def sqlite_locked_by_another_process(db: Path) -> Iterator[None]:
    """Another process holds `BEGIN EXCLUSIVE` on `db` until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A fresh tmpfs of `size` mounted at `where`; skips the test when this machine refuses mounts."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"this machine refuses to mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def remount(where: Path, mode: str) -> None:
    """`mode` is "ro" or "rw"."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True, capture_output=True)


def fill_disk(directory: Path) -> Path:
    """Write a file into `directory` until its file system is full; returns the file."""
    filler = directory / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError:
            pass
        try:  # the last few bytes a full chunk did not fit into
            while True:
                out.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def run_api(tmp: Path, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run coord-api in the foreground until it exits (a start-up failure): its exit code and output."""
    full = {
        **os.environ,
        "COORD_AUTH_TOKEN": "fault-token",
        "COORD_HOST": "127.0.0.1",
        "COORD_PORT": str(free_port()),
        "COORD_DATABASE_PATH": str(tmp / "coord.db"),
        "COORD_NO_UPDATE_CHECK": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "coordination.cli.api_server"],
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
