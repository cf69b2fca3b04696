"""The WAL is checkpointed by a thread of its own while a server runs (store/checkpoints.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from coordination.store import checkpoints
from coordination.store.sqlite import SqliteStore

BUMP = (
    "INSERT INTO repo_state (repo_id, seq) VALUES ('ck/r', 1)"
    " ON CONFLICT (repo_id) DO UPDATE SET seq = repo_state.seq + 1"
)


def _store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "coord.db")
    store.migrate()
    return store


def _wal_bytes(store: SqliteStore) -> int:
    return os.path.getsize(f"{store.path}-wal")


def test_commits_do_not_checkpoint_once_the_thread_does(tmp_path: Path) -> None:
    store = _store(tmp_path)
    try:
        store.checkpoint_in_background()
        with store.write(None) as tx:
            assert tx.scalar("PRAGMA wal_autocheckpoint") == 0
    finally:
        store.close()


def test_writes_that_never_pause_keep_the_wal_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoints, "RESTART_FRAMES", 200)
    store = _store(tmp_path)
    try:
        store.checkpoint_in_background()
        deadline = time.monotonic() + 2.0
        writes = 0
        while time.monotonic() < deadline or writes < 3000:
            with store.write("ck/r") as tx:
                tx.execute(BUMP)
            writes += 1
        checkpointer = store.background_checkpoints()
        assert checkpointer is not None and checkpointer.restarts > 0
        # A PASSIVE checkpoint alone never lets the WAL start over under writes that never
        # pause: it would hold every write's pages (two or more 4 KiB frames each).
        assert _wal_bytes(store) < writes * 2 * 4096 // 4
        with store.read() as tx:
            assert tx.scalar("SELECT seq FROM repo_state WHERE repo_id = 'ck/r'") == writes
    finally:
        store.close()


def test_a_store_closed_stops_its_checkpoint_thread(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.checkpoint_in_background()
    checkpointer = store.background_checkpoints()
    assert checkpointer is not None
    store.close()
    assert store.background_checkpoints() is None
    assert not checkpointer.running()
