"""CoordClient against an in-process fake transport: requests, errors, secrets."""

from __future__ import annotations

import json
import logging
import ssl
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


# ------------------------------------------------------------------ TLS settings by URL


def _verify_given(monkeypatch: pytest.MonkeyPatch, url: str) -> object:
    seen: dict[str, object] = {}
    real = httpx.Client

    def capture(*args: object, **kwargs: object) -> httpx.Client:
        seen.update(kwargs)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx, "Client", capture)
    CoordClient(url, "t").close()
    return seen["verify"]


def test_a_plain_http_service_url_loads_no_certificates_and_cannot_speak_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    verify = _verify_given(monkeypatch, "http://127.0.0.1:8080")
    assert isinstance(verify, ssl.SSLContext)
    assert verify.verify_mode == ssl.CERT_REQUIRED and verify.check_hostname
    assert verify.cert_store_stats()["x509_ca"] == 0  # no authority: no TLS handshake can succeed


def test_an_https_url_or_a_proxy_keeps_the_default_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _verify_given(monkeypatch, "https://coord.example.com") is True
    monkeypatch.setenv("HTTP_PROXY", "https://proxy.example.com:3128")
    assert _verify_given(monkeypatch, "http://127.0.0.1:8080") is True


def test_list_claims_reads_every_page_or_one_with_a_limit() -> None:
    pages = iter(
        [
            {"claims": [{"id": 3}, {"id": 2}], "next_cursor": "c1"},
            {"claims": [{"id": 1}], "next_cursor": None},
        ]
    )
    rec = Recorder()

    def answer(request: httpx.Request) -> httpx.Response:
        rec.requests.append(request)
        return httpx.Response(200, json=next(pages))

    with CoordClient("http://svc", "tok", transport=httpx.MockTransport(answer)) as client:
        assert [c["id"] for c in client.list_claims(repo_id="org/app")] == [3, 2, 1]
    first, second = rec.requests
    assert first.url.params["limit"] == "10000" and "cursor" not in first.url.params
    assert second.url.params["cursor"] == "c1"

    one = Recorder(body={"claims": [{"id": 3}], "next_cursor": "c1"})
    with make(one) as client:
        assert client.list_claims(repo_id="org/app", limit=1000) == [{"id": 3}]
    assert len(one.requests) == 1 and one.requests[0].url.params["limit"] == "1000"
