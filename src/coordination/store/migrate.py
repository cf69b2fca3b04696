"""Schema migrations with Alembic, run by the service at start-up."""

from __future__ import annotations

import fcntl
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory


def _config(sqlalchemy_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("coordination.store") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url)
    return cfg


@functools.cache
def head_revision() -> str:
    script = ScriptDirectory.from_config(_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade_sqlite(db_path: Path) -> None:
    # Two processes opening a fresh file together must not both create tables.
    with _file_lock(db_path.with_name(db_path.name + ".migrate-lock")):
        command.upgrade(_config(f"sqlite:///{db_path}"), "head")


def upgrade_postgres(url: str) -> None:
    command.upgrade(_config(sqlalchemy_postgres_url(url)), "head")


def sqlalchemy_postgres_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
