"""Symbol claims over HTTP against a real checkout (COORD_REPO_ROOT)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coordination.api.app import create_app
from tests.conftest import migrated_settings

ROUTER_TS = """\
import { Request } from "./http";

export class Router {
  private routes = new Map<string, string>();

  handleAuth(req: Request): string {
    return "auth";
  }

  handleLogout(req: Request): string {
    return "bye";
  }

  static create(): Router {
    return new Router();
  }
}

export const healthCheck = (): boolean => true;
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "src" / "auth").mkdir(parents=True)
    (root / "src" / "auth" / "router.ts").write_text(ROUTER_TS)
    (root / "notes.txt").write_text("hello\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    return root


@pytest.fixture
def client(tmp_path: Path, repo: Path) -> Iterator[TestClient]:
    app = create_app(migrated_settings(tmp_path, repo_root=repo, max_claim_ratio=1.0))
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers.update({"Authorization": "Bearer test-token"})
        yield c


def claim(client: TestClient, engineer: str, *symbols: str, path: str = "src/auth/router.ts"):
    item: dict[str, object] = {"type": "file", "pattern": path}
    if symbols:
        item["symbols"] = list(symbols)
    return client.post("/claims", json={"engineer": engineer, "repo_id": "org/app", "claims": [item]})


def test_methods_of_one_class_coexist_and_the_class_blocks_both(client: TestClient) -> None:
    auth = claim(client, "alex/claude/1", "Router::handleAuth")
    assert auth.status_code == 200 and auth.json()["decisions"][0]["outcome"] == "GRANT"
    logout = claim(client, "bob/codex/1", "Router::handleLogout")
    assert logout.status_code == 200
    assert logout.json()["decisions"][0]["outcome"] == "AUTO_COEXIST"
    auth_id, logout_id = auth.json()["claims"][0]["id"], logout.json()["claims"][0]["id"]
    assert client.get(f"/claims/{auth_id}").json()["coexists_with"] == [logout_id]
    assert logout.json()["claims"][0]["coexists_with"] == [auth_id]
    whole_class = claim(client, "carol/cursor/1", "Router")
    assert whole_class.status_code == 409
    assert {c["claim_id"] for c in whole_class.json()["conflicts"]} == {auth_id, logout_id}
    assert claim(client, "carol/cursor/1").status_code == 409  # the whole file too
    events = client.get("/events", params={"repo_id": "org/app"}).json()["events"]
    assert [e["event_type"] for e in events].count("auto-coexist") == 1


def test_a_class_claim_blocks_its_methods(client: TestClient) -> None:
    assert claim(client, "carol/cursor/1", "Router").status_code == 200
    assert claim(client, "alex/claude/1", "Router::handleAuth").status_code == 409
    assert claim(client, "alex/claude/1", "healthCheck").json()["decisions"][0]["outcome"] == "AUTO_COEXIST"


def test_symbol_claim_narrows_a_whole_file_claim(client: TestClient) -> None:
    whole = claim(client, "carol/cursor/1").json()["claims"][0]
    narrow = claim(client, "alex/claude/1", "Router::handleAuth")
    assert narrow.status_code == 200 and narrow.json()["decisions"][0]["outcome"] == "AUTO_NARROW"
    held = client.get(f"/claims/{whole['id']}").json()
    assert held["carved"] == [
        {"path": "src/auth/router.ts", "symbol": "Router::handleAuth", "by": narrow.json()["claims"][0]["id"]}
    ]
    # The narrowed holder hears about it on its next call.
    hb = client.post("/sessions/0123456789abcdef/heartbeat", json={"engineer": "carol/cursor/1", "repo_id": "org/app"})
    (notice,) = hb.json()["pending_requests"]
    assert notice["kind"] == "auto-narrow" and "Router::handleAuth" in notice["message"]


def test_unknown_symbol_is_400_with_the_real_symbols_closest_first(client: TestClient) -> None:
    resp = claim(client, "alex/claude/1", "Router::handleAuht")
    assert resp.status_code == 400
    body = resp.json()
    assert body["unknown"] == ["Router::handleAuht"]
    assert body["available"][0] == "Router::handleAuth"
    assert set(body["available"]) == {
        "Router",
        "Router::routes",
        "Router::handleAuth",
        "Router::handleLogout",
        "Router::create",
        "healthCheck",
    }
    assert "closest: Router::handleAuth" in body["detail"]


def test_symbols_in_files_without_a_parser_are_refused_but_whole_files_work(client: TestClient) -> None:
    resp = claim(client, "alex/claude/1", "Intro", path="notes.txt")
    assert resp.status_code == 400 and "not supported" in resp.json()["detail"]
    assert claim(client, "alex/claude/1", path="notes.txt").status_code == 200


def test_symbols_in_a_file_not_yet_created_are_accepted(client: TestClient) -> None:
    assert claim(client, "alex/claude/1", "NewThing", path="src/auth/new.ts").status_code == 200
