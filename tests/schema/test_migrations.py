"""The head revision the service checks at start-up is the one the migration scripts end at."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coordination.store import migrate
from tests.support.databases import migrated_sqlite


def test_the_head_revision_constant_is_alembics_head() -> None:
    assert migrate.alembic_head_revision() == migrate.HEAD_REVISION


@pytest.mark.integration  # fresh interpreters open the store
def test_a_start_on_a_migrated_database_does_not_import_alembic(tmp_path: Path) -> None:
    # What a restart does: open the store and migrate it. At the head that reads the
    # revision and never loads Alembic; below it (an empty file) Alembic runs.
    migrated_sqlite(tmp_path / "at-head.db")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from coordination.store.sqlite import SqliteStore\n"
        "store = SqliteStore(Path(sys.argv[1]))\n"
        "store.migrate()\n"
        "print('alembic' in sys.modules, store.schema_revision())\n"
    )
    for name, expected in (("at-head.db", "False"), ("empty.db", "True")):
        out = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / name)], capture_output=True, text=True, check=True
        )
        assert out.stdout.split() == [expected, migrate.HEAD_REVISION]
