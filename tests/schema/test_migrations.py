"""The head revision the service checks at start-up is the one the migration scripts end at."""

from __future__ import annotations

import subprocess
import sys

from coordination.store import migrate


def test_the_head_revision_constant_is_alembics_head() -> None:
    assert migrate.alembic_head_revision() == migrate.HEAD_REVISION


def test_a_start_on_a_migrated_database_does_not_import_alembic() -> None:
    # The start-up path imports the store and the readiness check; Alembic loads only
    # when a database is below the head.
    code = (
        "import sys, coordination.store.migrate, coordination.service.readiness, coordination.store.sqlite;"
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
