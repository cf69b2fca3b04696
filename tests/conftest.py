"""Fixtures shared by the whole suite: settings, stores for both databases, a real server."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coordination.config import Settings
from coordination.service import ClaimService
from coordination.store import open_store

PG_ENV = "COORD_TEST_DATABASE_URL"

os.environ.setdefault("COORD_NO_UPDATE_CHECK", "1")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _fresh_pg_database(base_url: str) -> tuple[str, str]:
    import psycopg

    name = "coord_test_" + secrets.token_hex(6)
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base_url.rpartition("/")
    return f"{head}/{name}", name


def _drop_pg_database(base_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (skips if COORD_TEST_DATABASE_URL is unset)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL to test against")
    url, name = _fresh_pg_database(base)
    try:
        yield url
    finally:
        _drop_pg_database(base, name)


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_path": tmp_path / "coord.db",
        "auth_token": "test-token",
        "disable_background_cleanup": True,
        "disable_instance_lock": True,
        "home": tmp_path / "home",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    """Settings overrides selecting each database in turn."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        return {"database_url": url}
    return {"database_path": tmp_path / "coord.db"}


@pytest.fixture
def make_service(tmp_path: Path, clock: FakeClock, backend: dict[str, object]) -> Iterator[object]:
    made: list[ClaimService] = []

    def build(**overrides: object) -> ClaimService:
        settings = make_settings(tmp_path, **{**backend, **overrides})
        store = open_store(settings)
        store.migrate()
        service = ClaimService(settings, store, clock=clock)
        made.append(service)
        return service

    yield build
    for service in made:
        service.store.close()


@pytest.fixture
def service(make_service: object) -> ClaimService:
    return make_service()  # type: ignore[operator,no-any-return]
