"""Who may end or extend a claim, over HTTP against a real server, on SQLite and PostgreSQL.

Every change names its engineer; only the holder's exact id changes a claim
unless `force=true`, which the audit records with the real actor; `if_fence`
makes a release conditional on the grant the caller still holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import databases
from tests.support.invariant import assert_server_exclusive
from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

ALEX, ALEX_OTHER_TOOL, BOB, OPS = "alex/claude/1", "alex/cursor/1", "bob/codex/1", "ops/human/1"
_repos = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per store for the whole module; each test works in a repo of its own."""
    with databases.server_store_env(request.param) as store_env:
        srv = start_server(
            Path(tmp_path_factory.mktemp("authority")), env={"COORD_DISABLE_INSTANCE_LOCK": "1", **store_env}
        )
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture
def repo() -> str:
    return f"authority/repo{next(_repos)}"


def claim(http: httpx.Client, repo: str, engineer: str, pattern: str) -> dict[str, Any]:
    resp = http.post("/claims", json={"engineer": engineer, "repo_id": repo, "claims": [{"pattern": pattern}]})
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["claims"][0])


def state(http: httpx.Client, claim_id: int) -> str:
    return str(http.get(f"/claims/{claim_id}").json()["state"])


def events(http: httpx.Client, repo: str, kind: str) -> list[dict[str, Any]]:
    found = http.get("/events", params={"repo_id": repo}).json()["events"]
    return [e for e in found if e["event_type"] == kind]


def test_release_without_an_engineer_is_refused(http: httpx.Client, repo: str) -> None:
    held = claim(http, repo, ALEX, "src/a.ts")
    resp = http.delete(f"/claims/{held['id']}")
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid" and "engineer" in resp.json()["detail"]
    assert state(http, held["id"]) == "active"
    assert_server_exclusive(http, repo)


def test_bulk_release_by_pattern_alone_releases_nothing(http: httpx.Client, repo: str) -> None:
    held = claim(http, repo, ALEX, "src/*.ts")
    bare = http.post("/claims/release", json={"repo_id": repo, "pattern": "src/*.ts"})
    assert bare.status_code == 400 and "engineer" in bare.json()["detail"]
    # Another engineer's filter only ever reaches their own claims.
    theirs = http.post("/claims/release", json={"repo_id": repo, "engineer": BOB, "pattern": "src/*.ts"})
    assert theirs.status_code == 200 and theirs.json() == {"released": []}
    by_id = http.post("/claims/release", json={"repo_id": repo, "engineer": BOB, "claim_ids": [held["id"]]})
    assert by_id.status_code == 403 and by_id.json()["holder"] == ALEX
    assert state(http, held["id"]) == "active"
    mine = http.post("/claims/release", json={"repo_id": repo, "engineer": ALEX, "pattern": "src/*.ts"})
    assert mine.json() == {"released": [held["id"]]}
    assert_server_exclusive(http, repo)


def test_the_holder_is_the_exact_engineer_id(http: httpx.Client, repo: str) -> None:
    held = claim(http, repo, ALEX, "src/a.ts")
    other_tool = http.delete(f"/claims/{held['id']}", params={"engineer": ALEX_OTHER_TOOL})
    assert other_tool.status_code == 403, other_tool.text
    extend = http.post(f"/claims/{held['id']}/extend", json={"engineer": ALEX_OTHER_TOOL, "ttl_hours": 1})
    assert extend.status_code == 403
    assert state(http, held["id"]) == "active"
    assert http.delete(f"/claims/{held['id']}", params={"engineer": ALEX}).json() == {"released": [held["id"]]}
    assert_server_exclusive(http, repo)


def test_force_release_is_recorded_with_the_real_actor(http: httpx.Client, repo: str) -> None:
    one = claim(http, repo, ALEX, "src/a.ts")
    two = claim(http, repo, ALEX, "src/b.ts")
    assert http.delete(f"/claims/{one['id']}", params={"engineer": OPS}).status_code == 403
    forced = http.delete(f"/claims/{one['id']}", params={"engineer": OPS, "force": "true"})
    assert forced.json() == {"released": [one["id"]]}
    bulk = http.post("/claims/release", json={"repo_id": repo, "engineer": OPS, "pattern": "src/b.ts", "force": True})
    assert bulk.json() == {"released": [two["id"]]}
    releases = {e["claim_id"]: e for e in events(http, repo, "release")}
    for claim_id in (one["id"], two["id"]):
        assert releases[claim_id]["engineer"] == OPS
        assert releases[claim_id]["detail"]["holder"] == ALEX
    # Bob can now take the scope: the forced release really ended the claim.
    claim(http, repo, BOB, "src/a.ts")
    assert_server_exclusive(http, repo)


def test_force_extend_is_recorded_with_the_real_actor(http: httpx.Client, repo: str) -> None:
    held = claim(http, repo, ALEX, "src/a.ts")
    forced = http.post(f"/claims/{held['id']}/extend", json={"engineer": OPS, "ttl_hours": 8, "force": True})
    assert forced.status_code == 200 and forced.json()["engineer"] == ALEX
    (extend,) = events(http, repo, "extend")
    assert extend["engineer"] == OPS and extend["detail"]["holder"] == ALEX
    assert_server_exclusive(http, repo)


def test_if_fence_ends_only_the_grant_still_held(http: httpx.Client, repo: str) -> None:
    held = claim(http, repo, ALEX, "src/a.ts")
    stale = http.delete(f"/claims/{held['id']}", params={"engineer": ALEX, "if_fence": held["fence"] + 1})
    assert stale.status_code == 409 and stale.json()["fence"] == held["fence"], stale.text
    extend = http.post(
        f"/claims/{held['id']}/extend", json={"engineer": ALEX, "ttl_hours": 1, "if_fence": held["fence"] + 1}
    )
    assert extend.status_code == 409
    assert state(http, held["id"]) == "active"
    ok = http.delete(f"/claims/{held['id']}", params={"engineer": ALEX, "if_fence": held["fence"]})
    assert ok.json() == {"released": [held["id"]]}
    assert_server_exclusive(http, repo)


def test_every_state_change_needs_its_engineer(http: httpx.Client, repo: str) -> None:
    held = claim(http, repo, ALEX, "src/a.ts")
    assert http.post(f"/claims/{held['id']}/extend", json={"ttl_hours": 1}).status_code == 400
    asked = http.post(
        "/requests", json={"repo_id": repo, "requester": BOB, "claim_id": held["id"], "reason": "hotfix"}
    ).json()
    assert http.post(f"/requests/{asked['id']}/respond", json={"answer": "release"}).status_code == 400
    assert http.post(f"/requests/{asked['id']}/cancel", json={}).status_code == 400
    assert http.delete("/requests/1").status_code == 400  # a queue entry's engineer
    assert state(http, held["id"]) == "active"
    assert_server_exclusive(http, repo)
