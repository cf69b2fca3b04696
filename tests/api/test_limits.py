"""The OpenAPI document states the limits and words the service enforces, and the service holds to them.

Every number and enum comes from `coordination.core.limits` / `coordination.core.vocabulary`:
the document says what the checks do, one over a limit is a 400 naming the field, and a
request at the limit is accepted.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coordination.core import limits as lim
from coordination.core.vocabulary import Answer, ClaimState, ClaimType, QueueState, RequestState, Role, Urgency

ALEX, BOB = "alex/claude/1", "bob/codex/1"
REPO = "org/app"


@pytest.fixture
def openapi(openapi_document: dict[str, Any]) -> dict[str, Any]:
    return openapi_document


def _field(openapi: dict[str, Any], model: str, name: str) -> dict[str, Any]:
    """A body field's schema, its non-null branch when it is optional."""
    schema: dict[str, Any] = openapi["components"]["schemas"][model]["properties"][name]
    for branch in schema.get("anyOf", []):
        if branch.get("type") != "null":
            return {**{k: v for k, v in schema.items() if k != "anyOf"}, **branch}
    return schema


def _param(openapi: dict[str, Any], method: str, path: str, name: str) -> dict[str, Any]:
    for param in openapi["paths"][path][method]["parameters"]:
        if param["name"] == name:
            schema: dict[str, Any] = param["schema"]
            for branch in schema.get("anyOf", []):
                if branch.get("type") != "null":
                    return {**{k: v for k, v in schema.items() if k != "anyOf"}, **branch}
            return schema
    raise AssertionError(f"{method.upper()} {path} has no parameter {name}")


BODY_LIMITS = [
    ("CreateClaimsIn", "claims", "maxItems", lim.MAX_ITEMS),
    ("CreateClaimsIn", "claims", "minItems", 1),
    ("CreateClaimsIn", "wait_seconds", "maximum", lim.MAX_WAIT_SECONDS),
    ("CreateClaimsIn", "wait_seconds", "minimum", 0),
    ("CreateClaimsIn", "ttl_hours", "exclusiveMinimum", 0),
    ("CreateClaimsIn", "engineer", "maxLength", lim.MAX_ENGINEER_LENGTH),
    ("CreateClaimsIn", "repo_id", "maxLength", lim.MAX_REPO_ID_LENGTH),
    ("CreateClaimsIn", "session_id", "maxLength", lim.MAX_SESSION_ID_LENGTH),
    ("CreateClaimsIn", "branch", "maxLength", lim.MAX_BRANCH_LENGTH),
    ("CreateClaimsIn", "description", "maxLength", lim.MAX_DESCRIPTION_LENGTH),
    ("ClaimItemIn", "pattern", "maxLength", lim.MAX_PATTERN_LENGTH),
    ("ClaimItemIn", "symbols", "maxItems", lim.MAX_SYMBOLS_PER_CLAIM),
    ("ReleaseIn", "claim_ids", "maxItems", lim.MAX_RELEASE_IDS),
    ("ReleaseIn", "pattern", "maxLength", lim.MAX_PATTERN_LENGTH),
    ("ExtendIn", "ttl_hours", "exclusiveMinimum", 0),
    ("VerifyIn", "paths", "maxItems", lim.MAX_VERIFY_PATHS),
    ("OwnershipIn", "yaml", "maxLength", lim.MAX_OWNERS_YAML_BYTES),
    ("GateEditIn", "paths", "maxItems", lim.MAX_GATE_PATHS),
    ("GateEditIn", "tool", "maxLength", lim.MAX_TOOL_NAME_LENGTH),
    ("GateWrittenIn", "paths", "maxItems", lim.MAX_GATE_PATHS),
    ("ReleaseRequestIn", "reason", "maxLength", lim.MAX_REASON_LENGTH),
    ("ReleaseRequestIn", "reason", "minLength", 1),
    ("ReleaseRequestIn", "pattern", "maxLength", lim.MAX_PATTERN_LENGTH),
    ("ReleaseRequestIn", "symbols", "maxItems", lim.MAX_SYMBOLS_PER_CLAIM),
    ("ReleaseRequestIn", "ttl_hours", "exclusiveMinimum", 0),
    ("RespondIn", "keep_pattern", "maxLength", lim.MAX_PATTERN_LENGTH),
    ("RespondIn", "keep_symbols", "maxItems", lim.MAX_SYMBOLS_PER_CLAIM),
    ("RespondIn", "note", "maxLength", lim.MAX_NOTE_LENGTH),
    ("PromoteIn", "pattern", "maxLength", lim.MAX_PROMOTE_PATTERN_LENGTH),
]


@pytest.mark.parametrize(("model", "name", "keyword", "value"), BODY_LIMITS)
def test_body_limits_in_the_openapi_are_the_core_limits(
    openapi: dict[str, Any], model: str, name: str, keyword: str, value: int
) -> None:
    assert _field(openapi, model, name)[keyword] == value


def test_symbol_names_are_bounded_in_every_body(openapi: dict[str, Any]) -> None:
    for model, name in [("ClaimItemIn", "symbols"), ("ReleaseRequestIn", "symbols"), ("RespondIn", "keep_symbols")]:
        assert _field(openapi, model, name)["items"]["maxLength"] == lim.MAX_SYMBOL_LENGTH, (model, name)


def test_pattern_fields_say_the_complexity_limits(openapi: dict[str, Any]) -> None:
    text = _field(openapi, "ClaimItemIn", "pattern")["description"]
    for value in (lim.MAX_PATTERN_LENGTH, lim.MAX_WILDCARDS, lim.MAX_GLOBSTARS, lim.MAX_ALTERNATIVES):
        assert f"{value}" in text


QUERY_LIMITS = [
    ("get", "/claims", "limit", lim.CLAIMS_PAGE),
    ("get", "/requests", "limit", lim.REQUESTS_PAGE),
    ("get", "/queue", "limit", lim.QUEUE_PAGE),
    ("get", "/events", "limit", lim.EVENTS_PAGE),
]


@pytest.mark.parametrize(("method", "path", "name", "page"), QUERY_LIMITS)
def test_page_sizes_in_the_openapi_are_the_core_limits(
    openapi: dict[str, Any], method: str, path: str, name: str, page: lim.Page
) -> None:
    schema = _param(openapi, method, path, name)
    assert (schema["minimum"], schema["maximum"], schema["default"]) == (1, page.maximum, page.default)
    assert _param(openapi, method, path, "cursor")["maxLength"] == lim.MAX_CURSOR_LENGTH


def test_query_limits_in_the_openapi_are_the_core_limits(openapi: dict[str, Any]) -> None:
    assert _param(openapi, "get", "/conflicts", "paths")["maxItems"] == lim.MAX_ITEMS
    assert _param(openapi, "get", "/conflicts", "symbols")["maxItems"] == lim.MAX_ITEMS
    assert _param(openapi, "get", "/metrics/auto-resolutions", "days")["maximum"] == lim.MAX_DAYS
    assert _param(openapi, "get", "/metrics/hotspots", "days")["maximum"] == lim.MAX_DAYS
    assert _param(openapi, "get", "/metrics/webhooks", "hours")["maximum"] == lim.MAX_WEBHOOK_HOURS
    assert _param(openapi, "delete", "/queue/{queue_id}", "engineer")["maxLength"] == lim.MAX_ENGINEER_LENGTH
    assert _param(openapi, "get", "/claims/{claim_id}", "claim_id")["maximum"] == lim.MAX_ID


def _limit_values() -> set[int | float]:
    values: set[int | float] = set()
    for name in lim.__all__:
        value = getattr(lim, name)
        if isinstance(value, lim.Page):
            values.update((value.default, value.maximum))
        elif isinstance(value, int | float):
            values.add(value)
    # Body fields render the 64-bit id bound as a JSON float (2**63 once rounded); query
    # parameters keep the exact integer.
    values.add(float(lim.MAX_ID))
    return values


def test_every_bound_in_the_openapi_is_a_core_limit(openapi: dict[str, Any]) -> None:
    """No number in the document is spelled anywhere but core.limits (the 500 items of old)."""
    known = _limit_values()
    stray: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("maxItems", "maxLength", "maximum", "exclusiveMaximum") and value not in known:
                    stray.append(f"{where}/{key}={value}")
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(openapi, "")
    assert stray == []


ENUMS: list[type[StrEnum]] = [Urgency, Answer, RequestState, QueueState, ClaimType, ClaimState]


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_enums_in_the_openapi_are_the_core_vocabulary(openapi: dict[str, Any], enum: type[StrEnum]) -> None:
    assert openapi["components"]["schemas"][enum.__name__]["enum"] == [m.value for m in enum]


def test_enum_typed_fields_point_at_the_vocabulary(openapi: dict[str, Any]) -> None:
    def ref(model: str, name: str) -> str:
        field = _field(openapi, model, name)
        return str(field.get("$ref") or field.get("items", {}).get("$ref"))

    assert ref("CreateClaimsIn", "urgency").endswith("/Urgency")
    assert ref("ReleaseRequestIn", "urgency").endswith("/Urgency")
    assert ref("RespondIn", "answer").endswith("/Answer")
    assert ref("ClaimItemIn", "type").endswith("/ClaimType")
    assert ref("ClaimOut", "state").endswith("/ClaimState")
    assert ref("ReleaseRequestOut", "state").endswith("/RequestState")
    assert ref("QueueEntryOut", "state").endswith("/QueueState")
    assert _param(openapi, "get", "/queue", "state")["$ref"].endswith("/QueueState")
    assert _param(openapi, "get", "/requests", "state")["$ref"].endswith("/RequestState")
    assert _param(openapi, "get", "/requests", "role")["$ref"].endswith("/Role")
    assert openapi["components"]["schemas"]["Role"]["enum"] == [m.value for m in Role]


# -- the service holds to them: one over is a 400 naming the field, at the limit is fine ----------


def _claim(client: TestClient, **body: Any) -> Any:
    return client.post("/claims", json={"engineer": ALEX, "repo_id": REPO, **body})


def _refused(resp: Any, field: str) -> None:
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid" and field in resp.json()["detail"], resp.text


def test_claim_items_at_and_over_the_limit(client: TestClient) -> None:
    items = [{"pattern": f"src/f{i}.ts"} for i in range(lim.MAX_ITEMS + 1)]
    _refused(_claim(client, claims=items), "claims")
    granted = _claim(client, claims=items[: lim.MAX_ITEMS])
    assert granted.status_code == 200 and len(granted.json()["claims"]) == lim.MAX_ITEMS


def test_symbols_at_and_over_the_limits(client: TestClient) -> None:
    names = [f"S{i}" for i in range(lim.MAX_SYMBOLS_PER_CLAIM + 1)]
    _refused(_claim(client, claims=[{"pattern": "src/a.ts", "symbols": names}]), "symbols")
    assert _claim(client, claims=[{"pattern": "src/a.ts", "symbols": names[:-1]}]).status_code == 200
    long = "S" * lim.MAX_SYMBOL_LENGTH
    _refused(_claim(client, claims=[{"pattern": "src/b.ts", "symbols": [long + "x"]}]), "symbols")
    assert _claim(client, claims=[{"pattern": "src/b.ts", "symbols": [long]}]).status_code == 200


@pytest.mark.parametrize(
    ("field", "limit", "make"),
    [
        ("pattern", lim.MAX_PATTERN_LENGTH, lambda n: {"claims": [{"pattern": "a" * n}]}),
        ("description", lim.MAX_DESCRIPTION_LENGTH, lambda n: {"claims": [{"pattern": "a"}], "description": "d" * n}),
        ("branch", lim.MAX_BRANCH_LENGTH, lambda n: {"claims": [{"pattern": "a"}], "branch": "b" * n}),
        ("engineer", lim.MAX_ENGINEER_LENGTH, lambda n: {"claims": [{"pattern": "a"}], "engineer": "e" * n}),
        ("repo_id", lim.MAX_REPO_ID_LENGTH, lambda n: {"claims": [{"pattern": "a"}], "repo_id": "r" * n}),
        ("session_id", lim.MAX_SESSION_ID_LENGTH, lambda n: {"claims": [{"pattern": "a"}], "session_id": "s" * n}),
        ("wait_seconds", lim.MAX_WAIT_SECONDS, lambda n: {"claims": [{"pattern": "a"}], "wait_seconds": n}),
    ],
)
def test_claim_fields_at_and_over_the_limit(client: TestClient, field: str, limit: int, make: Any) -> None:
    _refused(_claim(client, **make(limit + 1)), field)
    at = _claim(client, **make(limit))
    assert at.status_code == 200, at.text


def test_conflicts_paths_at_and_over_the_limit(client: TestClient) -> None:
    paths = [f"src/f{i}.ts" for i in range(lim.MAX_ITEMS + 1)]
    over = client.get("/conflicts", params={"repo_id": REPO, "paths": paths})
    _refused(over, "paths")
    assert over.json()["field"] == "paths"
    assert client.get("/conflicts", params={"repo_id": REPO, "paths": paths[:-1]}).status_code == 200


def test_release_ids_at_and_over_the_limit(client: TestClient) -> None:
    ids = list(range(1, lim.MAX_RELEASE_IDS + 2))
    _refused(client.post("/claims/release", json={"engineer": ALEX, "claim_ids": ids}), "claim_ids")
    at = client.post("/claims/release", json={"engineer": ALEX, "claim_ids": ids[:-1]})
    assert at.status_code in (200, 403), at.text  # within the limit: checked, not refused for its size


def test_release_request_texts_at_and_over_the_limit(client: TestClient) -> None:
    held = _claim(client, claims=[{"pattern": "src/a.ts"}]).json()["claims"][0]
    ask = {"repo_id": REPO, "requester": BOB, "claim_id": held["id"]}
    _refused(client.post("/requests", json={**ask, "reason": "r" * (lim.MAX_REASON_LENGTH + 1)}), "reason")
    _refused(client.post("/requests", json={**ask, "reason": "why", "urgency": "soon"}), "urgency")
    made = client.post("/requests", json={**ask, "reason": "r" * lim.MAX_REASON_LENGTH, "urgency": "blocking"})
    assert made.status_code == 200, made.text
    path = f"/requests/{made.json()['id']}/respond"
    answer = {"engineer": ALEX, "answer": "deny"}
    _refused(client.post(path, json={**answer, "note": "n" * (lim.MAX_NOTE_LENGTH + 1)}), "note")
    _refused(client.post(path, json={**answer, "answer": "maybe"}), "answer")
    done = client.post(path, json={**answer, "note": "n" * lim.MAX_NOTE_LENGTH})
    assert done.status_code == 200 and done.json()["answer"] == Answer.DENY, done.text


@pytest.mark.parametrize(
    ("path", "name", "maximum"),
    [
        ("/claims", "limit", lim.CLAIMS_PAGE.maximum),
        ("/requests", "limit", lim.REQUESTS_PAGE.maximum),
        ("/queue", "limit", lim.QUEUE_PAGE.maximum),
        ("/events", "limit", lim.EVENTS_PAGE.maximum),
        ("/metrics/auto-resolutions", "days", lim.MAX_DAYS),
        ("/metrics/hotspots", "days", lim.MAX_DAYS),
        ("/metrics/webhooks", "hours", lim.MAX_WEBHOOK_HOURS),
    ],
)
def test_query_bounds_at_and_over_the_limit(client: TestClient, path: str, name: str, maximum: int) -> None:
    _refused(client.get(path, params={name: maximum + 1}), name)
    assert client.get(path, params={name: maximum}).status_code == 200


def test_queue_and_request_states_are_the_vocabulary(client: TestClient) -> None:
    for state in QueueState:
        assert client.get("/queue", params={"state": state}).status_code == 200, state
    for state in RequestState:
        assert client.get("/requests", params={"state": state}).status_code == 200, state
    _refused(client.get("/queue", params={"state": "lost"}), "state")
    _refused(client.get("/requests", params={"state": "lost"}), "state")


def test_gate_paths_at_and_over_the_limit(client: TestClient) -> None:
    paths = [f"src/g{i}.ts" for i in range(lim.MAX_GATE_PATHS + 1)]
    body = {"engineer": ALEX, "repo_id": REPO, "session_id": "s1"}
    _refused(client.post("/gate/edit", json={**body, "paths": paths}), "paths")
    _refused(client.post("/gate/written", json={**body, "paths": paths}), "paths")
    written = client.post("/gate/written", json={**body, "paths": paths[:-1]})
    assert written.status_code == 200, written.text
    # The edit gate checks and claims its paths like GET /conflicts and POST /claims: at most
    # MAX_ITEMS distinct paths per call (documented on the field).
    assert client.post("/gate/edit", json={**body, "paths": paths[: lim.MAX_ITEMS]}).status_code == 200
    _refused(client.post("/gate/edit", json={**body, "paths": paths[: lim.MAX_ITEMS + 1]}), "paths")
