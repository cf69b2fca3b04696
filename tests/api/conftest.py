"""The in-process API client most HTTP tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coordination.api.app import create_app
from coordination.service import ClaimService
from coordination.store import open_store
from tests.conftest import FakeClock, migrated_settings

AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The real app on a fresh SQLite file, authenticated."""
    app = create_app(migrated_settings(tmp_path))
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers.update(AUTH)
        yield c


@pytest.fixture
def clocked_client(tmp_path: Path, clock: FakeClock) -> Iterator[TestClient]:
    """The app on a service whose clock the test holds (its days do not turn at midnight)."""
    settings = migrated_settings(tmp_path)
    service = ClaimService(settings, open_store(settings), clock=clock)
    try:
        with TestClient(create_app(settings, service), raise_server_exceptions=False) as c:
            c.headers.update(AUTH)
            yield c
    finally:
        service.store.close()


@pytest.fixture(scope="session")
def openapi_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app's OpenAPI document, built once per test process (each build costs ~0.2 s of
    CPU). Tests only read it."""
    app = create_app(migrated_settings(tmp_path_factory.mktemp("openapi")))
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers.update(AUTH)
        document: dict[str, Any] = c.get("/openapi.json").json()
    return document
