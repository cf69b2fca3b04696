"""Real servers, real client processes, racing overlapping claims; the audit trail must stay clean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.audit_check import fences_increase, violations
from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

CLIENTS = 8
SECONDS = 6.0


def race(servers: list[Server], tmp_path: Path) -> None:
    urls = ",".join(s.url for s in servers)
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
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).parents[2],
        )
        for i in range(CLIENTS)
    ]
    totals = {"granted": 0, "conflict": 0, "released": 0, "errors": 0}
    for proc in procs:
        out, err = proc.communicate(timeout=SECONDS + 60)
        assert proc.returncode == 0, err.decode()
        for key, value in json.loads(out.decode().strip().splitlines()[-1]).items():
            totals[key] += value
    assert totals["errors"] == 0, totals
    assert totals["granted"] > 50 and totals["conflict"] > 50, totals  # it really raced
    with servers[0].client() as client:
        client.post("/claims/release", json={"repo_id": "race/repo", "engineer": "nobody"})
        events = client.get("/events", params={"repo_id": "race/repo", "limit": 100000}).json()["events"]
        claims = client.get("/claims", params={"repo_id": "race/repo", "active": False, "limit": 10000}).json()[
            "claims"
        ]
    assert len([e for e in events if e["event_type"] == "grant"]) == len(claims)
    # The background sweep ran in the real server and recorded expiries.
    assert any(e["event_type"] == "expire" for e in events)
    assert violations(events, claims) == []
    assert fences_increase(events)


def test_race_one_server_sqlite(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"COORD_CLEANUP_INTERVAL_SEC": "1"})
    try:
        race([server], tmp_path)
    finally:
        server.stop()


def test_race_two_servers_sharing_sqlite(tmp_path: Path) -> None:
    env = {"COORD_DISABLE_INSTANCE_LOCK": "1", "COORD_CLEANUP_INTERVAL_SEC": "1"}
    servers = [start_server(tmp_path, env=env), start_server(tmp_path, env=env)]
    try:
        race(servers, tmp_path)
    finally:
        for s in servers:
            s.stop()


def test_race_two_servers_sharing_postgres(tmp_path: Path, pg_url: str) -> None:
    env = {"COORD_DATABASE_URL": pg_url, "COORD_CLEANUP_INTERVAL_SEC": "1"}
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
