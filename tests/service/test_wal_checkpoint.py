"""The SQLite WAL is checkpointed in the background, not by the commit that crosses a threshold."""

from __future__ import annotations

import gc
import sqlite3
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coordination.api.app import create_app
from coordination.store.sqlite import CHECKPOINT_EVERY_SEC, WAL_AUTOCHECKPOINT_PAGES, SqliteStore
from tests.conftest import migrated_settings
from tests.support.databases import migrated_sqlite


def test_commits_leave_checkpoints_to_the_background(tmp_path: Path) -> None:
    db = tmp_path / "coord.db"
    migrated_sqlite(db)
    store = SqliteStore(db)
    try:
        with store.read() as tx:
            assert tx.scalar("PRAGMA wal_autocheckpoint") == WAL_AUTOCHECKPOINT_PAGES
        for i in range(50):
            with store.write(None) as tx:
                tx.execute("INSERT INTO repo_state (repo_id, seq) VALUES (?, ?)", (f"r{i}", i))
        store.checkpoint()
        # Everything in the WAL is in the database file now: a second checkpoint copies nothing new.
        with sqlite3.connect(db) as other:
            busy, in_wal, copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and in_wal == copied
    finally:
        store.close()


def test_a_checkpoint_of_a_deleted_file_is_skipped_quietly(tmp_path: Path) -> None:
    db = tmp_path / "coord.db"
    migrated_sqlite(db)
    store = SqliteStore(db)
    try:
        with store.write(None) as tx:
            tx.execute("INSERT INTO repo_state (repo_id, seq) VALUES (?, ?)", ("r", 1))
        db.unlink()
        store.checkpoint()  # no exception: the requests report the fault, not the checkpoint
        assert store.health() is not None
    finally:
        store.close()


def test_the_service_runs_the_checkpoint_and_unfreezes_the_collector_when_it_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = threading.Event()
    monkeypatch.setattr(SqliteStore, "checkpoint", lambda self: calls.set())
    with TestClient(create_app(migrated_settings(tmp_path))):
        assert gc.get_freeze_count() > 0  # start-up's objects are out of the collector's view
        assert calls.wait(CHECKPOINT_EVERY_SEC + 5)
    assert gc.get_freeze_count() == 0
