"""Fixtures shared by the whole suite: settings, stores for both databases, a real server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from coordination.config import Settings
from coordination.service import ClaimService
from coordination.store import open_store
from tests.support import databases

PG_ENV = "COORD_TEST_DATABASE_URL"

os.environ.setdefault("COORD_NO_UPDATE_CHECK", "1")

# Property-test sizes (tests/support/properties.py): `fast` by default, `thorough` on demand
# (`pytest --hypothesis-profile=thorough`). Both inherit the profile loaded before (Hypothesis's
# own `ci` profile when CI is set).
hypothesis_settings.register_profile("thorough", max_examples=100)
hypothesis_settings.register_profile("fast", max_examples=20)
hypothesis_settings.load_profile("fast")


PG_FIXTURES = {"pg_url", "pg_migrated_url"}
SERVER_FIXTURES = {"live_server"}
SERVER_STARTERS = ("start_server", "start_replicas")  # tests/support/server.py


E2E = Path(__file__).parent / "e2e"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """What `-n auto` means: one worker per core, plus one. Many tests spend their time
    waiting on real servers, git or chromium, and a worker more than cores fills that time
    (docs/testing.md: the whole suite 206 s instead of 274 s on two cores)."""
    return len(os.sched_getaffinity(0)) + 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark what a test needs from outside the process: `postgres` (a PostgreSQL database,
    from the fixtures it uses) and `integration` (real processes: a server, or the console
    scripts that tests/e2e runs, or a module that imports `start_server` or `start_replicas` to start its own
    servers). Other modules that start processes some other way say
    `pytestmark = pytest.mark.integration`."""
    for item in items:
        module = getattr(item, "module", None)
        if E2E in item.path.parents or any(hasattr(module, name) for name in SERVER_STARTERS):
            item.add_marker(pytest.mark.integration)
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if names & PG_FIXTURES or (callspec is not None and callspec.params.get("backend") == "postgres"):
            item.add_marker(pytest.mark.postgres)
        if names & SERVER_FIXTURES:
            item.add_marker(pytest.mark.integration)
    _longest_modules_first(config, items)


# Seconds each test took (setup, call and teardown) in the last run that ran it, kept in
# pytest's cache per test: a run of a few tests (`-k`, `-m`, one file) updates only those.
TEST_SECONDS = "coord/test-seconds"
# A test the cache does not know yet: one that starts processes, or one that does not.
UNKNOWN_INTEGRATION_SECONDS = 1.0
UNKNOWN_SECONDS = 0.01


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _longest_modules_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the modules that take longest first, so the parallel run does not end with
    one worker still on a long module while the others wait (xdist's `loadscope` hands
    out modules in this order). A module's weight is the sum of its tests' durations in
    the runs that last ran them (pytest's cache); without one (a fresh clone) tests that
    start processes count for more. Tests keep their order within a module."""
    seconds: dict[str, float] = config.cache.get(TEST_SECONDS, {}) if config.cache else {}

    def weight(item: pytest.Item) -> float:
        known = seconds.get(item.nodeid)
        if known is not None:
            return known
        return UNKNOWN_INTEGRATION_SECONDS if item.get_closest_marker("integration") else UNKNOWN_SECONDS

    module_weight: dict[str, float] = {}
    for item in items:
        module = _module(item.nodeid)
        module_weight[module] = module_weight.get(module, 0.0) + weight(item)
    # A stable sort: the tests of a module keep their order.
    items.sort(key=lambda item: (-module_weight[_module(item.nodeid)], _module(item.nodeid)))


class _TestTimes:
    """In the controlling process: each test's duration, kept for the next run's order."""

    def __init__(self, rootpath: Path) -> None:
        self.rootpath = rootpath
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        cache = session.config.cache
        if cache is None or not self.seconds:
            return
        known = dict(cache.get(TEST_SECONDS, {}))
        known.update({nodeid: round(total, 3) for nodeid, total in self.seconds.items()})
        # Forget the tests of modules that are gone (renamed or deleted).
        modules = {_module(nodeid) for nodeid in known}
        gone = {module for module in modules if not (self.rootpath / module).exists()}
        cache.set(TEST_SECONDS, {nodeid: t for nodeid, t in known.items() if _module(nodeid) not in gone})


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller, or a run without xdist
        config.pluginmanager.register(_TestTimes(config.rootpath), "coord-test-times")


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


@pytest.fixture(scope="session", autouse=True)
def _database_templates() -> Iterator[None]:
    """The migrated templates this process made (tests/support/databases.py) go when its tests end."""
    yield
    databases.drop_templates()


def _pg_base() -> str:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL to test against")
    return base


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (skips if COORD_TEST_DATABASE_URL is unset)."""
    base = _pg_base()
    url, name = databases.fresh_pg_database(base)
    try:
        yield url
    finally:
        databases.drop_pg_database(base, name)


@pytest.fixture
def pg_migrated_url() -> Iterator[str]:
    """A fresh PostgreSQL database already at the schema head (a copy of the migrated template)."""
    base = _pg_base()
    url, name = databases.fresh_pg_database(base, migrated=True)
    try:
        yield url
    finally:
        databases.drop_pg_database(base, name)


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


def migrated_settings(tmp_path: Path, **overrides: object) -> Settings:
    """`make_settings` on a database already at the schema head: `tmp_path/coord.db` is a
    copy of the migrated template (tests/support/databases.py), so the app's start-up
    migration finds nothing to do."""
    databases.migrated_sqlite(tmp_path / "coord.db")
    return make_settings(tmp_path, **overrides)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    """Settings overrides selecting each database in turn, each already migrated (a template's copy)."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_migrated_url")
        return {"database_url": url}
    return {"database_path": databases.migrated_sqlite(tmp_path / "coord.db")}


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
