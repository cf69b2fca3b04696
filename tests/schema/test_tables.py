"""`coordination.store.tables` is the schema the Alembic migrations build, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from coordination.store import open_store, tables
from tests.conftest import make_settings


def _migrated_engine(tmp_path: Path, backend: dict[str, object]) -> sa.Engine:
    store = open_store(make_settings(tmp_path, **backend))
    try:
        store.migrate()
    finally:
        store.close()
    if "database_url" in backend:
        url = str(backend["database_url"]).replace("postgresql://", "postgresql+psycopg://", 1)
        return sa.create_engine(url)
    return sa.create_engine(f"sqlite:///{backend['database_path']}")


def _shape(column_type: Any) -> tuple[type, int | None]:
    return column_type.python_type, getattr(column_type, "length", None)


def test_the_tables_are_the_migrated_schema(tmp_path: Path, backend: dict[str, object]) -> None:
    engine = _migrated_engine(tmp_path, backend)
    try:
        inspector = sa.inspect(engine)
        migrated = set(inspector.get_table_names()) - {"alembic_version"}
        assert migrated == set(tables.metadata.tables)
        for name, table in tables.metadata.tables.items():
            reflected = inspector.get_columns(name)
            assert [c["name"] for c in reflected] == [c.name for c in table.columns], name
            for want, got in zip(table.columns, reflected, strict=True):
                where = f"{name}.{want.name}"
                assert _shape(got["type"]) == _shape(want.type), where
                assert bool(got["nullable"]) == bool(want.nullable), where
            primary = inspector.get_pk_constraint(name)["constrained_columns"]
            assert primary == [c.name for c in table.primary_key.columns], name
            indexes = {i["name"]: list(i["column_names"]) for i in inspector.get_indexes(name)}
            assert indexes == {i.name: [c.name for c in i.columns] for i in table.indexes}, name
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_column_lists_follow_the_tables(backend: dict[str, object]) -> None:
    assert tables.CLAIM_COLUMNS.split(", ")[:3] == ["id", "repo_id", "engineer"]
    assert tables.QUEUE_COLUMNS.endswith("lease_until")
