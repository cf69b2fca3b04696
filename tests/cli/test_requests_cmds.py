"""`coord request-release`, `coord respond`, `coord requests`, `coord cancel-request`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from coordination.cli import requests_cmds
from coordination.cli.app import app
from coordination.client import CoordClient
from tests.conftest import migrated_settings

ALEX, BOB = "alex/claude/1", "bob/codex/1"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .coordination/local.env above
    for key, value in {
        "COORD_AUTH_TOKEN": "test-token",
        "COORD_REPO_ID": "org/app",
        "COORD_ENGINEER": BOB,
        "COORD_API_URL": "http://coord.test",
        "COLUMNS": "250",
        "COORD_NO_UPDATE_CHECK": "1",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: None) -> Iterator[TestClient]:
    """The CLI's HTTP calls go to an in-process app."""
    from coordination.api.app import create_app

    with TestClient(create_app(migrated_settings(tmp_path)), raise_server_exceptions=False) as tc:

        def forward(request: httpx.Request) -> httpx.Response:
            resp = tc.request(
                request.method,
                request.url.path,
                params=request.url.params,
                content=request.content,
                headers=dict(request.headers),
            )
            return httpx.Response(
                resp.status_code, content=resp.content, headers={"content-type": resp.headers.get("content-type", "")}
            )

        def connect(e):  # type: ignore[no-untyped-def]
            return CoordClient(e.api_url, e.token, transport=httpx.MockTransport(forward))

        monkeypatch.setattr(requests_cmds, "_connect", connect)
        tc.headers.update({"Authorization": "Bearer test-token"})
        yield tc


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_request_respond_and_list(api: TestClient) -> None:
    held = api.post("/claims", json={"engineer": ALEX, "repo_id": "org/app", "claims": [{"pattern": "src/**"}]}).json()[
        "claims"
    ][0]
    code, text = run(
        "request-release", str(held["id"]), "--reason", "login fix", "--urgency", "high", "--pattern", "src/auth/**"
    )
    assert code == 0, text
    assert "login fix" in text and "src/auth/**" in text and ALEX in text
    (made,) = api.get("/requests", params={"engineer": BOB, "role": "requester"}).json()["requests"]
    assert made["urgency"] == "high" and made["state"] == "open"

    code, text = run("requests", "--role", "requester")
    assert code == 0 and str(made["id"]) in text and "open" in text

    code, text = run("respond", str(made["id"]), "release")  # bob is not the holder
    assert code == 1 and "403" in text and "only the holder" in text
    code, text = run("respond", str(made["id"]), "maybe", "--engineer", ALEX)
    assert code == 2
    code, text = run("respond", str(made["id"]), "narrow", "--keep-pattern", "src/ui/**", "--engineer", ALEX)
    assert code == 0, text
    assert "narrow" in text and "src/ui/**" in text
    assert api.get(f"/requests/{made['id']}").json()["answer"] == "narrow"

    code, text = run("respond", str(made["id"]), "deny", "--engineer", ALEX)
    assert code == 3 and "already answered" in text
    code, text = run("requests", "--role", "holder", "--engineer", ALEX, "--state", "answered")
    assert code == 0 and "narrow" in text


def test_coexist_with_symbols_and_cancel(api: TestClient) -> None:
    held = api.post(
        "/claims",
        json={
            "engineer": ALEX,
            "repo_id": "org/app",
            "claims": [{"pattern": "src/router.ts", "symbols": ["Router::a", "Router::b"]}],
        },
    ).json()["claims"][0]
    code, text = run("request-release", str(held["id"]), "-r", "need b", "-p", "src/router.ts", "-s", "Router::b")
    assert code == 0, text
    (made,) = api.get("/requests").json()["requests"]
    code, text = run("respond", str(made["id"]), "narrow", "--keep-symbol", "Router::a", "-e", ALEX)
    assert code == 0, text
    assert "Router::a" in text
    assert api.get(f"/claims/{held['id']}").json()["symbols"] == ["Router::a"]

    other = api.post(
        "/claims", json={"engineer": ALEX, "repo_id": "org/app", "claims": [{"pattern": "docs/**"}]}
    ).json()["claims"][0]
    run("request-release", str(other["id"]), "-r", "docs too")
    second = api.get("/requests", params={"state": "open"}).json()["requests"][0]
    code, text = run("cancel-request", str(second["id"]))
    assert code == 0 and "cancelled" in text
    code, text = run("request-release", str(other["id"]), "-r", "docs again", "-u", "now")
    assert code == 2
    run("request-release", str(other["id"]), "-r", "docs again")
    third = api.get("/requests", params={"state": "open"}).json()["requests"][0]
    code, text = run("respond", str(third["id"]), "coexist", "-e", ALEX)
    assert code == 0, text
    assert f"{BOB} now holds claim" in text


@pytest.mark.integration
def test_cli_against_a_real_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: None) -> None:
    from tests.support.server import start_server

    server = start_server(tmp_path)
    try:
        monkeypatch.setenv("COORD_API_URL", server.url)
        monkeypatch.setenv("COORD_AUTH_TOKEN", server.token)
        with server.client() as http:
            held = http.post(
                "/claims", json={"engineer": ALEX, "repo_id": "org/app", "claims": [{"pattern": "src/a.ts"}]}
            ).json()["claims"][0]
            code, text = run("request-release", str(held["id"]), "--reason", "urgent fix", "-u", "blocking")
            assert code == 0, text
            (made,) = http.get("/requests").json()["requests"]
            code, text = run("respond", str(made["id"]), "release", "-e", ALEX)
            assert code == 0, text
            assert http.get(f"/claims/{held['id']}").json()["state"] == "released"
            code, text = run("requests")
            assert code == 0 and "release" in text
    finally:
        server.stop()
