"""Requests generated from our own OpenAPI document: bad input is never a 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from coordination.api.app import create_app  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.properties import examples  # noqa: E402


@pytest.fixture(scope="module")
def api_schema() -> object:
    # The app and its schema are built when the test runs, not at collection: every test
    # process collects this module, only one runs it. The app's start-up (migrations) runs
    # once, and a claim is left to find.
    app = create_app(make_settings(Path(tempfile.mkdtemp(prefix="coord-fuzz-"))))
    with TestClient(app) as client:
        client.post(
            "/claims",
            headers={"Authorization": "Bearer test-token"},
            json={"engineer": "alex/claude/1", "claims": [{"pattern": "src/**"}]},
        )
        # The live event stream never ends by design (tests/integration/test_event_stream.py
        # covers it); a generated call to it would wait forever for the body.
        yield schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/events/stream")


def test_no_server_errors(api_schema) -> None:  # type: ignore[no-untyped-def]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    # Valid and invalid requests for every operation, as schemathesis' own pytest
    # integration would generate them (its parametrize computes every case at collection,
    # in every test process; here the schema is built only where the test runs).
    ran = 0
    for operation, mode in [(op, mode) for op in operations for mode in GenerationMode]:
        strategy = operation.as_strategy(mode)

        @given(case=strategy)
        @settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case) -> None:  # type: ignore[no-untyped-def]
            headers = {**(case.headers or {}), "Authorization": "Bearer test-token"}
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}"
            )

        try:
            no_server_error()
        except Unsatisfiable:
            # An operation with nothing to get wrong (no parameters, no body) has no
            # invalid request to generate.
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue
        ran += 1
    assert ran > 40
