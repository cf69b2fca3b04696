"""The OpenAPI document: a bearer scheme for /docs' Authorize button, readable ids, every error documented."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]


def test_bearer_scheme_on_every_route_that_needs_the_token(
    client: TestClient, openapi_document: dict[str, Any]
) -> None:
    schema = client.get("/openapi.json").json()  # the served document is the shared one
    assert schema == openapi_document
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "the service's COORD_AUTH_TOKEN, as `Authorization: Bearer <token>`",
    }
    for method, path, op in operations(schema):
        if path in ("/healthz", "/readyz"):
            assert "security" not in op, path
            continue
        assert op.get("security") == [{"bearer": []}], (method, path)
        # ... and the route really refuses a request without it.
    assert TestClient(client.app).get("/claims").status_code == 401


def test_operation_ids_are_the_route_names(openapi_document: dict[str, Any]) -> None:
    ids = {(m, p): op["operationId"] for m, p, op in operations(openapi_document)}
    assert ids[("post", "/claims")] == "create_claims"
    assert ids[("get", "/claims")] == "list_claims"
    assert ids[("get", "/events/stream")] == "event_stream"
    assert len(set(ids.values())) == len(ids)
    assert all(op_id.isidentifier() and "__" not in op_id for op_id in ids.values())


def test_413_and_503_are_documented_on_every_authenticated_route(openapi_document: dict[str, Any]) -> None:
    for method, path, op in operations(openapi_document):
        if path in ("/healthz", "/readyz"):
            continue
        assert {"400", "401", "413", "503"} <= set(op["responses"]), (method, path, sorted(op["responses"]))
        assert "422" not in op["responses"]


def test_every_route_has_a_description(openapi_document: dict[str, Any]) -> None:
    missing = [(m, p) for m, p, op in operations(openapi_document) if not (op.get("description") or "").strip()]
    assert not missing, missing
