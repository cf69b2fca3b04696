"""`coord ls` shows every matching claim, however many pages the API answers them in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from coordination import client as client_module
from coordination.cli import claims_cmds
from coordination.cli.app import app
from tests.conftest import migrated_settings

ALEX, BOB = "alex/claude/1", "bob/codex/1"


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, list[str]]]:
    """The CLI's HTTP calls go to an in-process app; the second item lists the query of each `GET /claims`."""
    from coordination.api.app import create_app

    monkeypatch.chdir(tmp_path)
    for key, value in {
        "COORD_AUTH_TOKEN": "test-token",
        "COORD_REPO_ID": "org/app",
        "COORD_ENGINEER": ALEX,
        "COORD_API_URL": "http://coord.test",
        "COLUMNS": "250",
        "COORD_NO_UPDATE_CHECK": "1",
    }.items():
        monkeypatch.setenv(key, value)
    asked: list[str] = []
    with TestClient(create_app(migrated_settings(tmp_path)), raise_server_exceptions=False) as tc:

        def forward(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/claims" and request.method == "GET":
                asked.append(str(request.url.query, "ascii"))
            resp = tc.request(
                request.method, request.url.path, params=request.url.params, headers=dict(request.headers)
            )
            return httpx.Response(resp.status_code, content=resp.content, headers={"content-type": "application/json"})

        real = client_module.CoordClient

        def connected(*args: object, **kw: object) -> client_module.CoordClient:
            return real(*args, transport=httpx.MockTransport(forward), **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(claims_cmds, "CoordClient", connected)
        monkeypatch.setattr(client_module, "LIST_PAGE", 2)  # three claims: two pages
        tc.headers.update({"Authorization": "Bearer test-token"})
        for engineer, pattern in ((ALEX, "src/a.ts"), (ALEX, "src/b.ts"), (ALEX, "src/c.ts"), (BOB, "docs/x.md")):
            got = tc.post(
                "/claims", json={"engineer": engineer, "repo_id": "org/app", "claims": [{"pattern": pattern}]}
            )
            assert got.status_code == 200, got.text
        yield tc, asked


def test_ls_json_holds_every_page(api: tuple[TestClient, list[str]]) -> None:
    _, asked = api
    result = CliRunner().invoke(app, ["ls", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert sorted(c["pattern"] for c in answer["claims"]) == ["src/a.ts", "src/b.ts", "src/c.ts"]
    assert answer["next_cursor"] is None
    assert len(asked) == 2 and "cursor=" not in asked[0] and "cursor=" in asked[1]


def test_ls_everyone_shows_every_page(api: tuple[TestClient, list[str]]) -> None:
    _, asked = api
    result = CliRunner().invoke(app, ["ls", "--everyone"])
    assert result.exit_code == 0, result.output
    for pattern in ("src/a.ts", "src/b.ts", "src/c.ts", "docs/x.md"):
        assert pattern in result.output
    assert len(asked) == 2
