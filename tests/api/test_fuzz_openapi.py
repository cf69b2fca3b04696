"""Requests generated from our own OpenAPI document: bad input is never a 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from coordination.api.app import create_app  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.properties import examples  # noqa: E402

_DIR = Path(tempfile.mkdtemp(prefix="coord-fuzz-"))
APP = create_app(make_settings(_DIR))
# The live event stream never ends by design (tests/integration/test_event_stream.py covers it);
# a generated call to it would wait forever for the body.
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path="/events/stream")


@pytest.fixture(scope="module", autouse=True)
def _lifespan() -> object:
    # Run the app's start-up (migrations) once, and leave a claim to find.
    with TestClient(APP) as client:
        client.post(
            "/claims",
            headers={"Authorization": "Bearer test-token"},
            json={"engineer": "alex/claude/1", "claims": [{"pattern": "src/**"}]},
        )
        yield


@schema.parametrize()
@settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case) -> None:  # type: ignore[no-untyped-def]
    headers = {**(case.headers or {}), "Authorization": "Bearer test-token"}
    response = case.call(headers=headers)
    assert response.status_code < 500, f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}"
