"""The shared tool layer through the official MCP client in-process (no server, no network)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from coordination.client import CoordClient
from coordination.core import limits as lim
from coordination.core.vocabulary import Answer, ClaimType, RequestState, Role, Urgency
from coordination.mcp_tools import CallScope, build_server
from mcp import Client

CLAIM = {
    "id": 7,
    "repo_id": "acme/app",
    "engineer": "alex/claude/main",
    "session_id": "00112233aabbccdd",
    "branch": None,
    "description": None,
    "type": "file",
    "pattern": "src/a.ts",
    "symbols": [],
    "narrowable": True,
    "carved": [],
    "coexists_with": [],
    "state": "active",
    "created_at": "2026-01-01T00:00:00Z",
    "expires_at": "2026-01-01T04:00:00Z",
    "ended_at": None,
    "fence": 1,
}
CONFLICT = {
    "error": "conflict",
    "detail": "1 conflict",
    "conflicts": [
        {
            "claim_id": 3,
            "engineer": "bob/codex/main",
            "type": "file",
            "pattern": "src/**",
            "symbols": [],
            "expires_at": "2026-01-01T04:00:00Z",
            "fence": 1,
            "requested_pattern": "src/a.ts",
        }
    ],
    "suggestion": "ask bob/codex/main",
}


class FakeBackend:
    """A backend whose API answers come from `handler`; records every request."""

    def __init__(self, engineer: str | None = "alex/claude/main", repo: str | None = "acme/app") -> None:
        self.requests: list[httpx.Request] = []
        self.answers: dict[tuple[str, str], httpx.Response] = {}
        self.engineer, self.repo = engineer, repo

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.get((request.method, request.url.path), httpx.Response(404, json={"error": "not_found"}))

    def scope(self, ctx: Any) -> CallScope:
        client = CoordClient("http://svc", "t", None, transport=httpx.MockTransport(self.handler))
        return CallScope(client, self.repo, self.engineer, "00112233aabbccdd", engineer_hint="say who")

    def heartbeat(self, scope: CallScope, repo_id: str) -> dict[str, Any]:
        return scope.client.heartbeat(scope.session_id, repo_id=repo_id)

    def whoami(self, scope: CallScope) -> dict[str, Any]:
        return {"transport": "http", "version": "x", "repo_id": scope.repo_id, "engineer": None, "session_id": None}


def _text(result: Any) -> str:
    return "\n".join(getattr(b, "text", "") for b in result.content)


async def test_granted_claim_is_structured_and_sends_the_scope() -> None:
    backend = FakeBackend()
    backend.answers[("POST", "/claims")] = httpx.Response(
        201, json={"claims": [CLAIM], "decisions": [], "pending_requests": []}
    )
    async with Client(build_server(backend)) as client:
        result = await client.call_tool("claim_files", {"patterns": ["src/a.ts"], "ttl_hours": 1})
    assert not result.is_error, _text(result)
    assert result.structured_content["claims"][0]["id"] == 7
    body = json.loads(backend.requests[0].content)
    assert body["engineer"] == "alex/claude/main" and body["repo_id"] == "acme/app"
    assert body["session_id"] == "00112233aabbccdd" and body["claims"] == [{"type": "file", "pattern": "src/a.ts"}]


async def test_conflict_and_invalid_answers_say_what_to_do() -> None:
    backend = FakeBackend()
    backend.answers[("POST", "/claims")] = httpx.Response(409, json=CONFLICT)
    async with Client(build_server(backend)) as client:
        conflict = await client.call_tool("claim_files", {"patterns": ["src/a.ts"]})
        backend.answers[("POST", "/claims")] = httpx.Response(400, json={"error": "invalid", "detail": "ttl_hours: >0"})
        invalid = await client.call_tool("claim_files", {"patterns": ["src/a.ts"], "ttl_hours": -1})
        bad_wait = await client.call_tool("claim_files", {"patterns": ["src/a.ts"], "wait_seconds": 901})
    assert conflict.is_error and "CONFLICT" in _text(conflict) and "bob/codex/main" in _text(conflict)
    assert "claim #3" in _text(conflict) and "Do not edit" in _text(conflict)
    assert invalid.is_error and "400 invalid: ttl_hours: >0" in _text(invalid) and "Fix" in _text(invalid)
    assert bad_wait.is_error and "wait_seconds" in _text(bad_wait)
    assert len(backend.requests) == 2  # the out-of-range wait never reached the API


async def test_missing_engineer_or_repo_is_a_readable_error() -> None:
    backend = FakeBackend(engineer=None, repo=None)
    async with Client(build_server(backend)) as client:
        no_engineer = await client.call_tool("claim_files", {"patterns": ["a"], "repo_id": "r"})
        no_repo = await client.call_tool("claim_files", {"patterns": ["a"], "engineer": "e"})
    assert no_engineer.is_error and "engineer is required" in _text(no_engineer) and "say who" in _text(no_engineer)
    assert no_repo.is_error and "X-Coord-Repo" in _text(no_repo)
    assert backend.requests == []


async def test_queued_list_and_release_outputs() -> None:
    backend = FakeBackend()
    backend.answers[("GET", "/requests")] = httpx.Response(200, json={"queue": []})
    backend.answers[("POST", "/claims/release")] = httpx.Response(200, json={"released": [7]})
    async with Client(build_server(backend)) as client:
        queued = await client.call_tool("my_requests", {"queued": True})
        released = await client.call_tool("release_claims", {"pattern": "src/**"})
        mixed = await client.call_tool("my_requests", {"queued": True, "role": "holder"})
    assert queued.structured_content["queue"] == [] and queued.structured_content["requests"] is None
    assert released.structured_content == {"released": [7]}
    assert mixed.is_error and "do not apply" in _text(mixed)


async def test_annotations_and_output_schemas() -> None:
    async with Client(build_server(FakeBackend())) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    read_only = {n for n, t in tools.items() if t.annotations and t.annotations.read_only_hint}
    assert read_only == {"check_conflicts", "list_claims", "my_requests", "whoami"}
    destructive = {n for n, t in tools.items() if t.annotations and t.annotations.destructive_hint}
    assert destructive == {"release_claims", "respond_to_request", "cancel_queue_request"}
    assert all(t.output_schema for t in tools.values())
    assert "claims" in tools["claim_files"].output_schema["properties"]


# -- the tools' input schemas speak the API's vocabulary and limits ---------------------


async def _input_schemas() -> dict[str, dict[str, Any]]:
    async with Client(build_server(FakeBackend())) as client:
        return {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}


def _arg(schemas: dict[str, dict[str, Any]], tool: str, name: str) -> dict[str, Any]:
    """An argument's schema, its non-null branch when it is optional."""
    schema: dict[str, Any] = schemas[tool]["properties"][name]
    for branch in schema.get("anyOf", []):
        if branch.get("type") != "null":
            return {**{k: v for k, v in schema.items() if k != "anyOf"}, **branch}
    return schema


async def test_tool_enums_are_the_vocabulary_spelled_inline() -> None:
    schemas = await _input_schemas()
    expected = [
        ("claim_files", "claim_type", ClaimType),
        ("claim_files", "urgency", Urgency),
        ("request_release", "urgency", Urgency),
        ("respond_to_request", "answer", Answer),
        ("my_requests", "role", Role),
        ("my_requests", "state", RequestState),
    ]
    for tool, name, enum in expected:
        assert _arg(schemas, tool, name)["enum"] == [m.value for m in enum], (tool, name)
    assert all("$defs" not in schema for schema in schemas.values())  # inline: nothing to resolve


async def test_tool_limits_are_the_core_limits() -> None:
    schemas = await _input_schemas()
    expected = [
        ("check_conflicts", "paths", "maxItems", lim.MAX_ITEMS),
        ("check_conflicts", "symbols", "maxItems", lim.MAX_ITEMS),
        ("claim_files", "patterns", "maxItems", lim.MAX_ITEMS),
        ("claim_files", "wait_seconds", "maximum", lim.MAX_WAIT_SECONDS),
        ("claim_files", "wait_seconds", "minimum", 0),
        ("claim_files", "description", "maxLength", lim.MAX_DESCRIPTION_LENGTH),
        ("claim_files", "branch", "maxLength", lim.MAX_BRANCH_LENGTH),
        ("release_claims", "claim_ids", "maxItems", lim.MAX_RELEASE_IDS),
        ("release_claims", "pattern", "maxLength", lim.MAX_PATTERN_LENGTH),
        ("extend_claims", "claim_ids", "maxItems", lim.MAX_RELEASE_IDS),
        ("request_release", "reason", "maxLength", lim.MAX_REASON_LENGTH),
        ("request_release", "reason", "minLength", 1),
        ("request_release", "pattern", "maxLength", lim.MAX_PATTERN_LENGTH),
        ("request_release", "symbols", "maxItems", lim.MAX_SYMBOLS_PER_CLAIM),
        ("respond_to_request", "keep_pattern", "maxLength", lim.MAX_PATTERN_LENGTH),
        ("respond_to_request", "keep_symbols", "maxItems", lim.MAX_SYMBOLS_PER_CLAIM),
        ("respond_to_request", "note", "maxLength", lim.MAX_NOTE_LENGTH),
    ]
    for tool, name, keyword, value in expected:
        assert _arg(schemas, tool, name)[keyword] == value, (tool, name, keyword)
    per_file = _arg(schemas, "claim_files", "symbols")["additionalProperties"]
    assert per_file["maxItems"] == lim.MAX_SYMBOLS_PER_CLAIM
    assert per_file["items"]["maxLength"] == lim.MAX_SYMBOL_LENGTH
    assert f"{lim.DEFAULT_MAX_TTL_HOURS:g}" in _arg(schemas, "claim_files", "ttl_hours")["description"]


async def test_arguments_over_a_limit_never_reach_the_api() -> None:
    backend = FakeBackend()
    async with Client(build_server(backend)) as client:
        too_many = await client.call_tool(
            "claim_files", {"patterns": [f"src/f{i}.ts" for i in range(lim.MAX_ITEMS + 1)]}
        )
        bad_urgency = await client.call_tool("claim_files", {"patterns": ["src/a.ts"], "urgency": "soon"})
        bad_answer = await client.call_tool("respond_to_request", {"request_id": 1, "answer": "maybe"})
    assert too_many.is_error and "patterns" in _text(too_many)
    assert bad_urgency.is_error and "urgency" in _text(bad_urgency)
    assert bad_answer.is_error and "answer" in _text(bad_answer)
    assert backend.requests == []


async def test_enum_arguments_reach_the_api_as_their_plain_strings() -> None:
    backend = FakeBackend()
    backend.answers[("POST", "/claims")] = httpx.Response(
        200, json={"claims": [CLAIM], "decisions": [], "pending_requests": []}
    )
    async with Client(build_server(backend)) as client:
        result = await client.call_tool(
            "claim_files",
            {"patterns": ["src/a.ts"], "claim_type": "module", "urgency": "blocking", "wait_seconds": 5},
        )
    assert not result.is_error, _text(result)
    body = json.loads(backend.requests[0].content)
    assert body["urgency"] == "blocking" and body["claims"][0]["type"] == "module"
