"""A database that stays locked or unreachable is a 503 with a reason, not a 500."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coordination.api.app import create_app
from tests.conftest import make_settings


def test_sqlite_locked_by_another_process_is_503(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, db_busy_timeout_sec=0.2)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.headers.update({"Authorization": "Bearer test-token"})
        other = sqlite3.connect(tmp_path / "coord.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            resp = client.post("/claims", json={"engineer": "a", "claims": [{"pattern": "x.ts"}]})
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert resp.status_code == 503
        assert resp.json()["error"] == "unavailable" and "retry" in resp.json()["detail"]
        assert client.post("/claims", json={"engineer": "a", "claims": [{"pattern": "x.ts"}]}).status_code == 200


def test_postgres_unreachable_is_503(tmp_path: Path) -> None:
    from coordination.config import Settings
    from coordination.service import ClaimService
    from coordination.store import postgres

    store = postgres.PostgresStore("postgresql://nobody@127.0.0.1:1/none", pool_size=1, busy_timeout_sec=1.0)
    service = ClaimService(make_settings(tmp_path), store)
    app = create_app(Settings(auth_token="test-token", disable_background_cleanup=True), service=service)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            resp = client.get("/claims", headers={"Authorization": "Bearer test-token"})
            assert resp.status_code == 503 and resp.json()["error"] == "unavailable"
            ready = client.get("/readyz")
            assert ready.status_code == 503 and "unreachable" in ready.json()["detail"]
    finally:
        store.close()


def test_postgres_repo_lock_held_elsewhere_is_503(tmp_path: Path, pg_migrated_url: str) -> None:
    """Another session holding a repo's advisory lock makes writers give up with the budget, not hang."""
    import psycopg

    from coordination.core.model import ClaimItem, ClaimType
    from coordination.errors import Unavailable
    from coordination.service import ClaimRequest, ClaimService
    from coordination.store import open_store

    settings = make_settings(tmp_path, database_url=pg_migrated_url, db_busy_timeout_sec=0.3)
    store = open_store(settings)
    store.migrate()
    service = ClaimService(settings, store)
    request = ClaimRequest(engineer="a", repo_id="held/repo", items=[ClaimItem(ClaimType.FILE, "x.py")])
    try:
        with psycopg.connect(pg_migrated_url) as other:
            other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("held/repo",))
            with pytest.raises(Unavailable, match="COORD_DB_BUSY_TIMEOUT_SEC"):
                service.create_claims(request)
            other.rollback()
        assert service.create_claims(request).claims
    finally:
        store.close()
