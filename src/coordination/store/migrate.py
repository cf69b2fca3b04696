"""Schema migrations with Alembic, run by the service at start-up.

Alembic is imported only when a database is below the head: a start on a migrated
database (every restart) reads the revision with one query and never loads Alembic,
which costs more CPU to import than the rest of the start-up check.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration under migrations/versions. tests/schema/test_migrations.py checks
# it against Alembic's own view of the scripts, so a new migration must change it too.
HEAD_REVISION = "0005"


def _config(sqlalchemy_url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("coordination.store") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url)
    return cfg


def head_revision() -> str:
    return HEAD_REVISION


def alembic_head_revision() -> str | None:
    """The head as Alembic reads it from the migration scripts (what HEAD_REVISION must equal)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config("sqlite://")).get_current_head()


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
    from alembic import command

    with _file_lock(db_path.with_name(db_path.name + ".migrate-lock")):
        command.upgrade(_config(f"sqlite:///{db_path}"), "head")


def upgrade_postgres(url: str) -> None:
    from alembic import command

    command.upgrade(_config(sqlalchemy_postgres_url(url)), "head")


def sqlalchemy_postgres_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
