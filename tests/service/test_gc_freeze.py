"""What start-up loaded is out of the collector's view while the app runs, and back after."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from coordination.api.app import create_app
from tests.conftest import migrated_settings


def test_the_lifespan_freezes_what_start_up_loaded_and_unfreezes_it_when_it_stops(tmp_path: Path) -> None:
    with TestClient(create_app(migrated_settings(tmp_path))):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
