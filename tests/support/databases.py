"""Migrated databases for tests, copied from a template migrated once per test process.

Running Alembic for every test costs more than most tests themselves. Each test process
(each pytest-xdist worker) migrates one template the first time a test asks for one,
and every test then gets its own copy:

- SQLite: the template file, copied (`migrated_sqlite`).
- PostgreSQL: `CREATE DATABASE coord_test_<hex> TEMPLATE coord_tmpl_<hex>`
  (`fresh_pg_database(base, migrated=True)`). PostgreSQL copies a template only while
  nobody is connected to it, so the template is migrated, every connection to it is
  closed, and nothing connects to it again.

Tests that are about migrating (an empty file or database, an old schema) still start
from nothing: `fresh_pg_database(base)` and a new file path give them that.
`drop_templates()` removes the PostgreSQL templates when the process ends its tests.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from coordination.config import Settings
from coordination.store import open_store

_lock = threading.Lock()
_sqlite_template: Path | None = None
_pg_templates: dict[str, str] = {}  # base URL -> template database name


def _template_settings(**values: object) -> Settings:
    return Settings(
        auth_token="template",
        disable_background_cleanup=True,
        disable_instance_lock=True,
        **values,
    )


def sqlite_template() -> Path:
    """This process's migrated SQLite file (made on first use). Copy it; never open it."""
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            path = Path(tempfile.mkdtemp(prefix="coord-template-")) / "coord.db"
            store = open_store(_template_settings(database_path=path))
            try:
                store.migrate()
            finally:
                store.close()
            # Everything in the main file, nothing left in a -wal beside it, so one file copy is the database.
            with sqlite3.connect(path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            Path(f"{path}-wal").unlink(missing_ok=True)
            Path(f"{path}-shm").unlink(missing_ok=True)
            _sqlite_template = path
        return _sqlite_template


def migrated_sqlite(dest: Path) -> Path:
    """A migrated database at `dest` (a copy of the template); returns `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sqlite_template(), dest)
    return dest


def _admin(base_url: str) -> psycopg.Connection:

    return psycopg.connect(base_url, autocommit=True)


def _with_database(base_url: str, name: str) -> str:
    head, _, _ = base_url.rpartition("/")
    return f"{head}/{name}"


def pg_template(base_url: str) -> str:
    """The name of this process's migrated template database on the server at `base_url`."""
    with _lock:
        name = _pg_templates.get(base_url)
        if name is None:
            name = "coord_tmpl_" + secrets.token_hex(6)
            with _admin(base_url) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            store = open_store(_template_settings(database_url=_with_database(base_url, name)))
            try:
                store.migrate()
            finally:
                store.close()
            with _admin(base_url) as conn:
                # A copy fails while anyone is connected to the template: make sure nobody is.
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
            _pg_templates[base_url] = name
        return name


def fresh_pg_database(base_url: str, *, migrated: bool = False) -> tuple[str, str]:
    """A new database `coord_test_<hex>` (empty, or a copy of the migrated template): (url, name)."""
    name = "coord_test_" + secrets.token_hex(6)
    template = f' TEMPLATE "{pg_template(base_url)}"' if migrated else ""
    with _admin(base_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{template}')
    return _with_database(base_url, name), name


def drop_pg_database(base_url: str, name: str) -> None:
    with _admin(base_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_templates() -> None:
    """Remove this process's templates (at the end of its tests)."""
    global _sqlite_template
    with _lock:
        for base_url, name in list(_pg_templates.items()):
            drop_pg_database(base_url, name)
            del _pg_templates[base_url]
        if _sqlite_template is not None:
            shutil.rmtree(_sqlite_template.parent, ignore_errors=True)
            _sqlite_template = None


@contextmanager
def server_store_env(backend: str) -> Iterator[dict[str, str]]:
    """The environment that points a server at `backend`: for "postgres" a fresh migrated
    database (skipped when COORD_TEST_DATABASE_URL is unset, dropped afterwards); for
    "sqlite" nothing, the server's own file."""
    if backend != "postgres":
        yield {}
        return
    base = os.environ.get("COORD_TEST_DATABASE_URL")
    if not base:
        pytest.skip("COORD_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    url, name = fresh_pg_database(base, migrated=True)
    try:
        yield {"COORD_DATABASE_URL": url}
    finally:
        drop_pg_database(base, name)
