"""Real servers, real client processes, racing overlapping claims; the audit trail must stay clean."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.audit_check import fences_increase, violations
from tests.support import invariant
from tests.support.invariant import active_claims_over_http
from tests.support.server import Server, start_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIENTS = 8
SECONDS = 8.0
IDLE_TIMEOUT_SEC = 3.0  # race_client.IDLE_SILENCE_SEC is longer
IDLE_CLIENTS = {2: "silent", 5: "silent"}  # client index -> what it does after its silence
RETURNING_CLIENTS = {1: "return", 2: "return", 5: "return", 6: "return"}
SNAPSHOT_EVERY_SEC = 0.3


def server_env(**extra: str) -> dict[str, str]:
    return {"COORD_CLEANUP_INTERVAL_SEC": "1", "COORD_IDLE_TIMEOUT_SEC": str(IDLE_TIMEOUT_SEC), **extra}


def live_snapshot(client: httpx.Client) -> list[dict[str, Any]]:
    """The server's active claims, minus any whose expiry passed while the answer travelled.

    (`GET /claims` reads the clock before its query: a claim expiring in between
    would show beside the claim that replaced it.)
    """
    claims = active_claims_over_http(client, "race/repo")
    now = datetime.now(UTC)
    return [c for c in claims if datetime.fromisoformat(c["expires_at"].replace("Z", "+00:00")) > now]


def invariant_problems(client: httpx.Client) -> list[str]:
    """Invariant violations in one snapshot, confirmed by a second read (a pair that only
    straddled a session's idle cut-off while the first query ran is not reported)."""
    first = invariant.violations(live_snapshot(client))
    if not first:
        return []
    again = set(invariant.violations(live_snapshot(client)))
    return [p for p in first if p in again]


class Snapshots(threading.Thread):
    """Checks the invariant over the servers' active claims while the race runs."""

    def __init__(self, servers: list[Server]) -> None:
        super().__init__(daemon=True)
        self.servers, self.stop, self.problems, self.taken = servers, threading.Event(), [], 0

    def run(self) -> None:
        clients = [s.client() for s in self.servers]
        try:
            while not self.stop.wait(SNAPSHOT_EVERY_SEC):
                self.problems += invariant_problems(clients[self.taken % len(clients)])
                self.taken += 1
        finally:
            for c in clients:
                c.close()


def race(servers: list[Server], tmp_path: Path, idle: dict[int, str] | None = None) -> None:
    idle = IDLE_CLIENTS if idle is None else idle
    urls = ",".join(s.url for s in servers)
    snapshots = Snapshots(servers)
    snapshots.start()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.race_client",
                urls,
                servers[0].token,
                f"eng{i}/agent/1",
                str(SECONDS),
                str(i),
                idle.get(i, "none"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).parents[2],
        )
        for i in range(CLIENTS)
    ]
    totals = {"granted": 0, "conflict": 0, "released": 0, "errors": 0, "symbol_grants": 0, "narrowed": 0}
    silent: dict[str, str] = {}
    for proc in procs:
        out, err = proc.communicate(timeout=SECONDS + 60)
        assert proc.returncode == 0, err.decode()
        report = json.loads(out.decode().strip().splitlines()[-1])
        for key, value in report["counts"].items():
            totals[key] += value
        silent.update(report["silent"])
    snapshots.stop.set()
    snapshots.join(30)
    assert totals["errors"] == 0, totals
    assert totals["granted"] > 50 and totals["conflict"] > 50, totals  # it really raced
    assert totals["symbol_grants"] > 5 and totals["narrowed"] > 5, totals  # symbols raced too
    assert len(silent) == len(idle), silent  # every idle client went silent holding claims
    with servers[0].client() as client:
        # The invariant over every active claim, at the end and all along the run.
        assert snapshots.taken > 5
        problems = snapshots.problems + invariant_problems(client)
        assert not problems, "exclusivity invariant broken:\n" + "\n".join(problems)
        client.post("/claims/release", json={"repo_id": "race/repo", "engineer": "nobody"})
        events = client.get("/events", params={"repo_id": "race/repo", "limit": 100000}).json()["events"]
        claims = client.get("/claims", params={"repo_id": "race/repo", "active": False, "limit": 10000}).json()[
            "claims"
        ]
    assert len([e for e in events if e["event_type"] == "grant"]) == len(claims)
    # The background sweep ran in the real server and recorded expiries.
    assert any(e["event_type"] == "expire" for e in events)
    if idle:
        assert any(e["event_type"] == "idle-expire" for e in events)
    assert violations(events, claims, silent, IDLE_TIMEOUT_SEC) == []
    assert fences_increase(events)


def test_race_one_server_sqlite(tmp_path: Path) -> None:
    server = start_server(tmp_path, env=server_env())
    try:
        race([server], tmp_path)
    finally:
        server.stop()


def test_race_with_idle_sessions_that_come_back(tmp_path: Path) -> None:
    """Clients go silent past the idle timeout and heartbeat the same session again
    soon after, often before the sweep: claims that stopped counting must stay ended."""
    server = start_server(tmp_path, env=server_env())
    try:
        race([server], tmp_path, idle=RETURNING_CLIENTS)
    finally:
        server.stop()


def test_race_two_servers_sharing_sqlite(tmp_path: Path) -> None:
    env = server_env(COORD_DISABLE_INSTANCE_LOCK="1")
    servers = [start_server(tmp_path, env=env), start_server(tmp_path, env=env)]
    try:
        race(servers, tmp_path)
    finally:
        for s in servers:
            s.stop()


def test_race_two_servers_sharing_postgres(tmp_path: Path, pg_url: str) -> None:
    env = server_env(COORD_DATABASE_URL=pg_url)
    servers = [start_server(tmp_path, env=env), start_server(tmp_path, env=env)]
    try:
        race(servers, tmp_path)
    finally:
        for s in servers:
            s.stop()


def test_a_second_instance_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "coordination.cli.api_server"],
            capture_output=True,
            text=True,
            env={
                **__import__("os").environ,
                "COORD_AUTH_TOKEN": "x",
                "COORD_DATABASE_PATH": str(tmp_path / "coord.db"),
                "COORD_PORT": "1",
            },
            timeout=30,
        )
        assert proc.returncode == 2
        assert "another coord instance" in proc.stderr and "COORD_DISABLE_INSTANCE_LOCK" in proc.stderr
    finally:
        server.stop()
