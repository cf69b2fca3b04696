"""`coord claim --wait --urgency` against a real server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coordination.cli.app import app
from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

ALEX, BOB = "alex/claude/1", "bob/codex/1"


def point_the_cli_at(server: Server, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI in `cwd`, talking to `server` as BOB in org/app."""
    monkeypatch.chdir(cwd)
    for key, value in {
        "COORD_AUTH_TOKEN": server.token,
        "COORD_REPO_ID": "org/app",
        "COORD_ENGINEER": BOB,
        "COORD_API_URL": server.url,
        "COLUMNS": "250",
        "COORD_NO_UPDATE_CHECK": "1",
    }.items():
        monkeypatch.setenv(key, value)


def test_claim_waits_in_the_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "srv").mkdir()
    server = start_server(tmp_path / "srv", env={"COORD_DISABLE_INSTANCE_LOCK": "1"})
    try:
        point_the_cli_at(server, tmp_path, monkeypatch)
        runner = CliRunner()
        assert runner.invoke(app, ["claim", "src/a.ts", "--urgency", "soon"]).exit_code == 2
        with server.client() as client:
            held = client.post(
                "/claims", json={"engineer": ALEX, "repo_id": "org/app", "claims": [{"pattern": "src/a.ts"}]}
            ).json()["claims"][0]
            result = runner.invoke(app, ["claim", "src/a.ts", "--wait", "0.3"])
            assert result.exit_code == 3, result.output
            assert "expired" in result.output

            def release_when_queued() -> None:
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    if client.get("/requests", params={"queued": "true", "repo_id": "org/app"}).json()["queue"]:
                        client.delete(f"/claims/{held['id']}", params={"engineer": ALEX})
                        return
                    time.sleep(0.02)

            releaser = threading.Thread(target=release_when_queued)
            releaser.start()
            result = runner.invoke(app, ["claim", "src/a.ts", "--wait", "30", "-u", "high"])
            releaser.join(15)
            assert result.exit_code == 0, result.output
            assert "granted from the queue" in result.output and "src/a.ts" in result.output
    finally:
        server.stop()


def test_a_wait_longer_than_one_call_resumes_transparently(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "srv").mkdir()
    env = {"COORD_DISABLE_INSTANCE_LOCK": "1", "COORD_MAX_CALL_WAIT_SEC": "1"}
    server = start_server(tmp_path / "srv", env=env)
    try:
        point_the_cli_at(server, tmp_path, monkeypatch)
        with server.client() as client:
            held = client.post(
                "/claims", json={"engineer": ALEX, "repo_id": "org/app", "claims": [{"pattern": "src/a.ts"}]}
            ).json()["claims"][0]
            # released after three of the CLI's one-second calls: the same entry is granted
            timer = threading.Timer(3.5, lambda: client.delete(f"/claims/{held['id']}", params={"engineer": ALEX}))
            timer.start()
            result = CliRunner().invoke(app, ["claim", "src/a.ts", "--wait", "30"])
            timer.join()
            assert result.exit_code == 0, result.output
            assert result.output.count("still waiting (entry 1, place 1, behind alex/claude/1)") >= 2
            assert "granted from the queue (entry 1)" in result.output
            entries = client.get("/queue", params={"repo_id": "org/app", "state": "granted"}).json()["queue"]
            assert [e["id"] for e in entries] == [1]
    finally:
        server.stop()
