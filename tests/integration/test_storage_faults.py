"""SQLite faults under a real server: 503 with a reason in bounded time, /readyz not ready, nothing lost.

Real files and real faults: a second process holding the write lock, the
database file or its lock file deleted or replaced, a small tmpfs filled up or
remounted read-only, pages overwritten with garbage.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.faults import fill_disk, remount, run_api, sqlite_locked_by_another_process, tmpfs
from tests.support.invariant import assert_server_exclusive
from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

REPO = "faults/repo"


def claim(client: httpx.Client, *patterns: str, repo: str = REPO, description: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"engineer": "alex/claude/1", "repo_id": repo, "claims": [{"pattern": p} for p in patterns]}
    if description:
        body["description"] = description
    return client.post("/claims", json=body)


def not_ready(server: Server) -> str:
    resp = httpx.get(f"{server.url}/readyz", timeout=30)
    assert resp.status_code == 503, resp.text
    assert resp.json()["status"] == "not_ready"
    return str(resp.json()["detail"])


def assert_ready(server: Server) -> None:
    resp = httpx.get(f"{server.url}/readyz", timeout=30)
    assert resp.status_code == 200, resp.text


def active_patterns(client: httpx.Client, repo: str = REPO) -> set[str]:
    claims = client.get("/claims", params={"repo_id": repo, "limit": 10000}).json()["claims"]
    return {c["pattern"] for c in claims}


def one_line_failure(done: Any) -> str:
    """coord-api stopped at start-up with exit 2 and one line on stderr, no traceback."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr + done.stdout, done.stderr
    assert lines[0].startswith("coord-api: ")
    return lines[0]


# ------------------------------------------------------------ locked database


def test_locked_database_answers_every_request_in_bounded_time(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"COORD_DB_BUSY_TIMEOUT_SEC": "1"})
    try:
        with server.client() as client:
            assert claim(client, "before.py").status_code == 200
        results: list[tuple[float, int, dict[str, Any]]] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            # Half on one repo (they queue on its in-process lock), half on repos of their own.
            repo = REPO if i % 2 else f"faults/other-{i}"
            with server.client() as client:
                t0 = time.monotonic()
                resp = claim(client, f"locked-{i}.py", repo=repo)
                with lock:
                    results.append((time.monotonic() - t0, resp.status_code, resp.json()))

        with sqlite_locked_by_another_process(tmp_path / "coord.db"):
            threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            detail = not_ready(server)
            assert "locked" in detail, detail
        assert len(results) == 8
        assert {status for _, status, _ in results} == {503}, results
        for _, _, body in results:
            assert body["error"] == "unavailable" and "COORD_DB_BUSY_TIMEOUT_SEC" in body["detail"], body
        # Bounded by the 1 s budget, not queued one after another (k x the timeout).
        slowest = max(elapsed for elapsed, _, _ in results)
        assert slowest < 1 + 2.5, results
        with server.client() as client:
            assert claim(client, "after.py").status_code == 200
            assert active_patterns(client) == {"before.py", "after.py"}
            assert_server_exclusive(client)
        assert_ready(server)
    finally:
        server.stop()


# ------------------------------------------------- file deleted or replaced


def test_deleted_database_file_refuses_writes_and_is_not_ready(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    db = tmp_path / "coord.db"
    try:
        with server.client() as client:
            assert claim(client, "kept.py").status_code == 200
            db.unlink()
            resp = claim(client, "lost.py")
            assert resp.status_code == 503, resp.text
            assert resp.json()["error"] == "unavailable" and "deleted" in resp.json()["detail"]
            assert "deleted" in not_ready(server)
            reads = client.get("/claims", params={"repo_id": REPO})
            assert reads.status_code == 503 and "deleted" in reads.json()["detail"]
        # The server did not start an empty database in its place.
        assert not db.exists()
    finally:
        server.stop()


def test_replaced_database_file_refuses_writes_and_is_not_ready(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    db = tmp_path / "coord.db"
    try:
        with server.client() as client:
            assert claim(client, "kept.py").status_code == 200
            other = tmp_path / "other.db"
            sqlite3.connect(other).close()
            os.replace(other, db)
            resp = claim(client, "lost.py")
            assert resp.status_code == 503 and "replaced" in resp.json()["detail"], resp.text
            assert "replaced" in not_ready(server)
    finally:
        server.stop()


def test_deleted_instance_lock_leaves_one_writer(tmp_path: Path) -> None:
    first = start_server(tmp_path)
    second: Server | None = None
    try:
        with first.client() as client:
            assert claim(client, "first.py").status_code == 200
        (tmp_path / "coord.db.lock").unlink()
        # Nothing stops a second server now; the first must stop writing.
        second = start_server(tmp_path)
        with first.client() as client:
            resp = claim(client, "from-first.py")
            assert resp.status_code == 503 and "instance lock file" in resp.json()["detail"], resp.text
        assert "instance lock file" in not_ready(first)
        with second.client() as client:
            assert claim(client, "from-second.py").status_code == 200
            assert active_patterns(client) == {"first.py", "from-second.py"}
            assert_server_exclusive(client)
    finally:
        first.stop()
        if second:
            second.stop()


# ------------------------------------------------------------------ disk full


def test_disk_full_is_503_nothing_half_written_and_recovers(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt", "3m") as mnt:
        server = start_server(tmp_path, env={"COORD_DATABASE_PATH": str(mnt / "coord.db")})
        acked: set[str] = set()
        try:
            with server.client() as client:
                assert claim(client, "before.py").status_code == 200
                acked.add("before.py")
                filler = fill_disk(mnt)
                failed: httpx.Response | None = None
                # Each request claims three files: all three are written, or none.
                for i in range(3000):
                    trio = [f"d{i}/a.py", f"d{i}/b.py", f"d{i}/c.py"]
                    resp = claim(client, *trio, description="x" * 900)
                    if resp.status_code != 200:
                        failed = resp
                        break
                    acked.update(trio)
                assert failed is not None, "the disk never filled up"
                assert failed.status_code == 503, failed.text
                assert failed.json()["error"] == "unavailable" and "full" in failed.json()["detail"], failed.text
                assert "full" in not_ready(server)
                filler.unlink()
                resp = claim(client, "after.py")
                assert resp.status_code == 200, resp.text
                acked.add("after.py")
                assert_ready(server)
                assert active_patterns(client) == acked
                assert_server_exclusive(client)
            server.stop()
            # And it is all on disk: a new server sees exactly the acknowledged claims.
            survivor = start_server(tmp_path, env={"COORD_DATABASE_PATH": str(mnt / "coord.db")})
            try:
                with survivor.client() as client:
                    assert active_patterns(client) == acked
            finally:
                survivor.stop()
        finally:
            server.stop()


def test_start_on_a_full_disk_is_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt", "1m") as mnt:
        fill_disk(mnt)
        line = one_line_failure(run_api(tmp_path, {"COORD_DATABASE_PATH": str(mnt / "coord.db")}))
        assert "No space left" in line or "full" in line, line


# -------------------------------------------------------------- read-only


def test_start_on_a_read_only_file_system_is_one_line(tmp_path: Path) -> None:
    # (A file system cannot be remounted read-only under a server that has the file open
    # for writing, so read-only is a start-up fault: a copied or restored data directory.)
    with tmpfs(tmp_path / "mnt", "8m") as mnt:
        env = {"COORD_DATABASE_PATH": str(mnt / "coord.db")}
        server = start_server(tmp_path, env=env)
        try:
            with server.client() as client:
                assert claim(client, "kept.py").status_code == 200
        finally:
            server.stop()
        (mnt / "coord.db.lock").unlink()
        remount(mnt, "ro")
        try:
            line = one_line_failure(run_api(tmp_path, env))
            assert "Read-only file system" in line, line
            # Without the instance lock, SQLite itself meets the read-only files.
            line = one_line_failure(run_api(tmp_path, {**env, "COORD_DISABLE_INSTANCE_LOCK": "1"}))
            assert str(mnt) in line and "Read-only file system" in line, line
        finally:
            remount(mnt, "rw")


# ---------------------------------------------------------------- corrupted


def _corrupt(db: Path) -> None:
    """Overwrite every page but the first (the header and schema) with garbage."""
    page = 4096
    size = db.stat().st_size
    with open(db, "r+b") as f:
        for offset in range(page, size, page):
            f.seek(offset)
            f.write(os.urandom(page))


def test_corrupted_database_stops_the_start_with_one_line(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        with server.client() as client:
            for i in range(50):
                assert claim(client, f"c{i}.py", description="y" * 500).status_code == 200
    finally:
        server.stop()
    db = tmp_path / "coord.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _corrupt(db)
    line = one_line_failure(run_api(tmp_path, {}))
    assert "corrupted" in line or "malformed" in line, line


def test_corruption_found_while_serving_is_503(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    db = tmp_path / "coord.db"
    try:
        with server.client() as client:
            for i in range(50):
                assert claim(client, f"c{i}.py", description="y" * 500).status_code == 200
            with sqlite3.connect(db) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _corrupt(db)
            # A write makes every connection re-read the file (its cache is stale).
            resp = claim(client, "more.py")
            assert resp.status_code == 503, resp.text
            assert "corrupted" in resp.json()["detail"], resp.text
            assert "corrupted" in not_ready(server)
    finally:
        server.stop()
