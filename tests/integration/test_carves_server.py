"""Carves over HTTP against a real server, on SQLite and PostgreSQL.

A carve is keyed by (path, symbol) and held by one claim; when a carving claim
ends (released, expired, idle), every claim still inside the carve keeps one.
Each scenario ends with the exclusivity invariant checker.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from coordination.service import ClaimService
from coordination.store import open_store
from tests.conftest import PG_ENV, make_settings
from tests.support import databases
from tests.support.invariant import active_claims_over_http, assert_server_exclusive
from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

ANA, BO, CY = "ana/claude/1", "bo/codex/1", "cy/cursor/1"
SHORT_TTL_HOURS = 1.5 / 3600  # 1.5 s


IDLE_TIMEOUT_SEC = 2.0


@dataclass
class Deployment:
    server: Server
    replica: ClaimService  # a second replica on the same database, whose sweep the tests run


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def deployment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """One server per store for the module; every test uses a repo of its own.

    The server's background sweep is off, so an expired claim stays "expired,
    not yet swept" until a test runs the sweep (on a second replica).
    """
    tmp = tmp_path_factory.mktemp(request.param)
    env = {
        "COORD_DISABLE_BACKGROUND_CLEANUP": "1",
        "COORD_DISABLE_INSTANCE_LOCK": "1",
        "COORD_IDLE_TIMEOUT_SEC": str(IDLE_TIMEOUT_SEC),
    }
    overrides: dict[str, object] = {"idle_timeout_sec": IDLE_TIMEOUT_SEC}
    pg: tuple[str, str] | None = None
    if request.param == "postgres":
        base = os.environ.get(PG_ENV)
        if not base:
            pytest.skip(f"{PG_ENV} is not set: no PostgreSQL to test against")
        pg = (base, databases.fresh_pg_database(base, migrated=True)[1])
        env["COORD_DATABASE_URL"] = overrides["database_url"] = f"{base.rpartition('/')[0]}/{pg[1]}"
    srv = start_server(tmp, env=env)
    store = None
    try:
        settings = make_settings(tmp, **overrides)
        store = open_store(settings)
        yield Deployment(srv, ClaimService(settings, store))
    finally:
        if store is not None:
            store.close()
        srv.stop()
        if pg is not None:
            databases.drop_pg_database(*pg)


@pytest.fixture
def client(deployment: Deployment) -> Iterator[httpx.Client]:
    with deployment.server.client() as c:
        yield c


@pytest.fixture
def sweep(deployment: Deployment) -> Callable[[], dict[str, int]]:
    return deployment.replica.sweep


_repos = iter(range(1, 10_000))


@pytest.fixture
def repo() -> str:
    return f"carves/{next(_repos)}"


def claim(client: httpx.Client, repo: str, engineer: str, path: str, *symbols: str, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "file", "pattern": path}
    if symbols:
        item["symbols"] = list(symbols)
    r = client.post("/claims", json={"engineer": engineer, "repo_id": repo, "claims": [item], **extra})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def get(client: httpx.Client, claim_id: int) -> dict[str, Any]:
    r = client.get(f"/claims/{claim_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def carved(client: httpx.Client, claim_id: int) -> set[tuple[str, str, int]]:
    return {(c["path"], c["symbol"], c["by"]) for c in get(client, claim_id)["carved"]}


def wait_until_expired(client: httpx.Client, repo: str, claim_id: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if claim_id not in {c["id"] for c in active_claims_over_http(client, repo)}:
            return
        time.sleep(0.1)
    raise AssertionError(f"claim {claim_id} did not expire")


def test_a_carve_is_keyed_by_path_so_foo_in_another_file_narrows_the_glob_too(client: httpx.Client, repo: str) -> None:
    glob = claim(client, repo, ANA, "src/*.ts")["claims"][0]
    in_a = claim(client, repo, BO, "src/a.ts", "Foo")
    assert in_a["decisions"][0]["outcome"] == "AUTO_NARROW"
    in_b = claim(client, repo, CY, "src/b.ts", "Foo")
    assert_server_exclusive(client, repo)
    assert in_b["decisions"][0]["outcome"] == "AUTO_NARROW"
    assert in_b["decisions"][0]["narrowed"] == [glob["id"]]
    assert carved(client, glob["id"]) == {
        ("src/a.ts", "Foo", in_a["claims"][0]["id"]),
        ("src/b.ts", "Foo", in_b["claims"][0]["id"]),
    }
    assert_server_exclusive(client, repo)


def narrowed_twice(client: httpx.Client, repo: str, foo_ttl: float | None = None) -> tuple[int, int, int]:
    """A holds src/f.ts; B claims Foo (narrows A), then Foo::bar (inside B's carve)."""
    whole = claim(client, repo, ANA, "src/f.ts")["claims"][0]["id"]
    foo = claim(client, repo, BO, "src/f.ts", "Foo", **({"ttl_hours": foo_ttl} if foo_ttl else {}))
    assert foo["decisions"][0]["outcome"] == "AUTO_NARROW"
    bar = claim(client, repo, BO, "src/f.ts", "Foo::bar")
    assert_server_exclusive(client, repo)
    return whole, foo["claims"][0]["id"], bar["claims"][0]["id"]


def test_releasing_the_carving_claim_keeps_the_inner_claims_carve(client: httpx.Client, repo: str) -> None:
    whole, foo, bar = narrowed_twice(client, repo)
    assert client.delete(f"/claims/{foo}", params={"engineer": BO}).status_code == 200
    assert_server_exclusive(client, repo)
    # Inside B's own carve, Foo::bar took a carve of its own when it was granted.
    assert carved(client, whole) == {("src/f.ts", "Foo::bar", bar)}
    assert bar in get(client, whole)["coexists_with"]
    # Foo (apart from Foo::bar) is the holder's again: nobody else can take it.
    r = client.post(
        "/claims", json={"engineer": CY, "repo_id": repo, "claims": [{"pattern": "src/f.ts", "symbols": ["Foo"]}]}
    )
    assert r.status_code == 409, r.text
    assert_server_exclusive(client, repo)


def test_the_carving_claim_expiring_keeps_the_inner_claims_carve_before_and_after_the_sweep(
    client: httpx.Client, repo: str, sweep: Callable[[], dict[str, int]]
) -> None:
    whole, foo, bar = narrowed_twice(client, repo, foo_ttl=SHORT_TTL_HOURS)
    wait_until_expired(client, repo, foo)
    # Expired, not yet swept: A is still carved for Foo::bar.
    assert_server_exclusive(client, repo)
    assert sweep()["expired"] >= 1
    assert get(client, foo)["state"] == "expired"
    assert carved(client, whole) == {("src/f.ts", "Foo::bar", bar)}
    assert_server_exclusive(client, repo)


def test_another_engineers_claim_inside_the_carve_keeps_its_own(client: httpx.Client, repo: str) -> None:
    """C is let in beside B's Foo by B's `coexist` answer; B's claim ending leaves C carved out of A."""
    whole, foo, _ = narrowed_twice(client, repo)
    ask = client.post(
        "/requests",
        json={"requester": CY, "repo_id": repo, "claim_id": foo, "symbols": ["Foo::baz"], "reason": "fix the baz bug"},
    )
    assert ask.status_code == 200, ask.text
    answer = client.post(f"/requests/{ask.json()['id']}/respond", json={"engineer": BO, "answer": "coexist"})
    assert answer.status_code == 200, answer.text
    baz = answer.json()["granted"]["id"]
    assert_server_exclusive(client, repo)
    assert client.delete(f"/claims/{foo}", params={"engineer": BO}).status_code == 200
    assert ("src/f.ts", "Foo::baz", baz) in carved(client, whole)
    assert_server_exclusive(client, repo)


def test_an_idle_carving_claim_ending_keeps_the_inner_claims_carve(
    client: httpx.Client, repo: str, sweep: Callable[[], dict[str, int]]
) -> None:
    whole = claim(client, repo, ANA, "src/f.ts")["claims"][0]["id"]
    foo = claim(client, repo, BO, "src/f.ts", "Foo", session_id="bo-idle")["claims"][0]["id"]
    bar = claim(client, repo, BO, "src/f.ts", "Foo::bar")["claims"][0]["id"]  # no session: never idle
    wait_until_expired(client, repo, foo)  # the session went silent past COORD_IDLE_TIMEOUT_SEC
    assert_server_exclusive(client, repo)
    assert sweep()["idle_expired"] >= 1
    assert get(client, foo)["state"] == "idle_expired"
    assert carved(client, whole) == {("src/f.ts", "Foo::bar", bar)}
    assert_server_exclusive(client, repo)
