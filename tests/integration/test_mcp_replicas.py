"""`/mcp` on two server processes sharing one database, as behind a load balancer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.support.invariant import assert_server_exclusive
from tests.support.mcp_http import mcp_http, structured, text
from tests.support.server import Server, start_replicas

pytestmark = pytest.mark.integration

REPO = "acme/replicas"
ALEX, BOB = "alex/claude/main", "bob/codex/main"
CAP = 2.0


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def replicas(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Two replicas per store for the whole module; each test works in a repo of its own."""
    env = {
        "COORD_DISABLE_INSTANCE_LOCK": "true",
        "COORD_DISABLE_BACKGROUND_CLEANUP": "true",
        "COORD_MAX_CALL_WAIT_SEC": str(CAP),
    }
    with start_replicas(tmp_path_factory.mktemp("mcp-replicas"), env, request.param) as servers:
        yield servers


async def test_a_claim_through_one_replica_conflicts_through_the_other(replicas: list[Server]) -> None:
    a, b = replicas
    repo = f"{REPO}-conflict"
    async with (
        mcp_http(a.url, a.token, repo, ALEX) as on_a,
        mcp_http(b.url, b.token, repo, BOB) as on_b,
    ):
        held = structured(await on_a.call_tool("claim_files", {"patterns": ["src/api/**"]}))["claims"][0]

        refused = await on_b.call_tool("claim_files", {"patterns": ["src/api/routes.py"]})
        assert refused.is_error and "CONFLICT" in text(refused) and ALEX in text(refused)
        seen = structured(await on_b.call_tool("list_claims", {}))
        assert [c["id"] for c in seen["claims"]] == [held["id"]]

        # stateless: one MCP client may land on either replica for every request
        async with mcp_http(b.url, b.token, repo, ALEX) as alex_on_b:
            assert structured(await alex_on_b.call_tool("release_claims", {}))["released"] == [held["id"]]

        granted = structured(await on_b.call_tool("claim_files", {"patterns": ["src/api/routes.py"]}))
        assert granted["claims"][0]["engineer"] == BOB
        refused = await on_a.call_tool("claim_files", {"patterns": ["src/api/**"]})
        assert refused.is_error and BOB in text(refused)
        structured(await on_b.call_tool("release_claims", {}))
    for s in replicas:
        with s.client() as http:
            assert_server_exclusive(http, repo)


async def test_a_wait_started_on_one_replica_resumes_on_the_other(replicas: list[Server]) -> None:
    a, b = replicas
    async with (
        mcp_http(a.url, a.token, REPO, ALEX) as alex_on_a,
        mcp_http(a.url, a.token, REPO, BOB) as bob_on_a,
        mcp_http(b.url, b.token, REPO, BOB) as bob_on_b,
    ):
        held = structured(await alex_on_a.call_tool("claim_files", {"patterns": ["src/db.py"]}))["claims"][0]
        first = structured(await bob_on_a.call_tool("claim_files", {"patterns": ["src/db.py"], "wait_seconds": 60}))
        ticket = first["queue"]["ticket"]
        assert first["queue"]["state"] == "waiting"
        again = structured(await bob_on_b.call_tool("claim_files", {"resume": ticket}))
        assert again["queue"]["state"] == "waiting" and again["queue"]["id"] == first["queue"]["id"]

        async def release_soon() -> None:
            await asyncio.sleep(0.5)
            structured(await alex_on_a.call_tool("release_claims", {"claim_ids": [held["id"]]}))

        releasing = asyncio.create_task(release_soon())
        granted = structured(await bob_on_b.call_tool("claim_files", {"resume": ticket}))
        await releasing
        assert granted["queue"] == {
            "id": first["queue"]["id"],
            "state": "granted",
            "waited_sec": granted["queue"]["waited_sec"],
        }
        assert [c["engineer"] for c in granted["claims"]] == [BOB]
        structured(await bob_on_b.call_tool("release_claims", {}))
    for s in replicas:
        with s.client() as http:
            assert_server_exclusive(http, REPO)
