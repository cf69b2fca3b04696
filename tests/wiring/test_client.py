"""CoordClient against an in-process fake transport: requests, errors, secrets."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from coordination.client import CoordClient, CoordError, CoordUnreachable, claim_item


class Recorder:
    def __init__(self, status: int = 200, body: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.body = body if body is not None else {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)


def make(rec: Recorder, token: str | None = "tok", session: str | None = "0123456789abcdef"):
    return CoordClient("http://svc", token, session, transport=httpx.MockTransport(rec))


def test_create_claims_body_and_headers() -> None:
    rec = Recorder(body={"claims": [{"id": 1}], "decisions": [], "pending_requests": []})
    with make(rec) as client:
        out = client.create_claims(
            engineer="a/claude/main",
            repo_id="org/app",
            claims=[claim_item("src/a.ts", symbols=["X"])],
            ttl_hours=2,
        )
    assert out["claims"] == [{"id": 1}]
    req = rec.requests[0]
    assert req.method == "POST" and req.url.path == "/claims"
    assert req.headers["Authorization"] == "Bearer tok"
    assert req.headers["X-Coord-Session"] == "0123456789abcdef"
    body = json.loads(req.content)
    assert body["session_id"] == "0123456789abcdef"
    assert body["claims"] == [{"type": "file", "pattern": "src/a.ts", "symbols": ["X"]}]
    assert "wait_seconds" not in body


def test_placeholder_token_is_never_sent() -> None:
    rec = Recorder()
    with make(rec, token="set-me") as client:
        client.healthz()
    assert "Authorization" not in rec.requests[0].headers


def test_conflicts_query_repeats_paths() -> None:
    rec = Recorder(body={"safe": True})
    with make(rec) as client:
        client.conflicts(paths=["a", "b"], repo_id="r", symbols=["a::X"])
    params = rec.requests[0].url.params
    assert params.get_list("paths") == ["a", "b"]
    assert params.get_list("symbols") == ["a::X"]


def test_409_raises_with_conflicts() -> None:
    body = {
        "error": "conflict",
        "detail": "held",
        "conflicts": [{"claim_id": 3, "engineer": "b"}],
        "suggestion": "wait",
    }
    with make(Recorder(409, body)) as client, pytest.raises(CoordError) as info:
        client.create_claims(engineer="a", claims=[claim_item("x")])
    err = info.value
    assert (err.status, err.error, err.detail) == (409, "conflict", "held")
    assert err.conflicts == [{"claim_id": 3, "engineer": "b"}]
    assert err.suggestion == "wait"


def test_422_detail_list_is_flattened() -> None:
    body = {"detail": [{"loc": ["body", "engineer"], "msg": "field required"}]}
    with make(Recorder(422, body)) as client, pytest.raises(CoordError) as info:
        client.create_claims(engineer="a", claims=[])
    assert "engineer: field required" in info.value.detail


def test_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    caplog.set_level(logging.DEBUG)
    client = CoordClient("http://svc", "secret-token", transport=httpx.MockTransport(boom))
    with pytest.raises(CoordUnreachable) as info:
        client.auth_check()
    assert info.value.status == 0
    assert "secret-token" not in str(info.value)
    assert "secret-token" not in repr(client)
    assert "secret-token" not in caplog.text


def test_release_and_verify_and_heartbeat_paths() -> None:
    rec = Recorder(body={"released": [1, 2], "ours": [], "theirs": []})
    with make(rec) as client:
        assert client.release_claims(repo_id="r", engineer="e", claim_ids=[1, 2]) == [1, 2]
        assert client.release_claim(1, "e") == [1, 2]
        client.verify(paths=["a"], engineer="e", repo_id="r")
        client.heartbeat(engineer="e", repo_id="r")
        client.extend_claim(5, engineer="e", ttl_hours=1)
    paths = [(r.method, r.url.path) for r in rec.requests]
    assert paths == [
        ("POST", "/claims/release"),
        ("DELETE", "/claims/1"),
        ("POST", "/claims/verify"),
        ("POST", "/sessions/0123456789abcdef/heartbeat"),
        ("POST", "/claims/5/extend"),
    ]
    assert rec.requests[1].url.params["engineer"] == "e"
