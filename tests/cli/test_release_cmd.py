"""`coord release` against a real server: always as you, another's claim only with --force."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from coordination.cli.app import app
from tests.support.invariant import assert_server_exclusive
from tests.support.server import start_server

pytestmark = pytest.mark.integration

ALEX, OPS = "alex/claude/1", "ops/human/1"
REPO = "org/app"


def test_release_acts_as_you_and_force_is_audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "srv").mkdir()
    server = start_server(tmp_path / "srv", env={"COORD_DISABLE_INSTANCE_LOCK": "1"})
    try:
        monkeypatch.chdir(tmp_path)
        for key, value in {
            "COORD_AUTH_TOKEN": server.token,
            "COORD_REPO_ID": REPO,
            "COORD_ENGINEER": OPS,
            "COORD_API_URL": server.url,
            "COLUMNS": "250",
            "COORD_NO_UPDATE_CHECK": "1",
        }.items():
            monkeypatch.setenv(key, value)
        runner = CliRunner()
        with server.client() as client:
            held = client.post(
                "/claims", json={"engineer": ALEX, "repo_id": REPO, "claims": [{"pattern": "src/*.ts"}]}
            ).json()["claims"][0]
            mine_only = runner.invoke(app, ["release", "--pattern", "src/*.ts"])
            assert mine_only.exit_code == 0 and "released 0 claim(s)" in mine_only.output, mine_only.output
            refused = runner.invoke(app, ["release", str(held["id"])])
            assert refused.exit_code != 0 and "force" in refused.output, refused.output
            assert runner.invoke(app, ["release", "--all", "--force"]).exit_code == 2
            forced = runner.invoke(app, ["release", str(held["id"]), "--force"])
            assert forced.exit_code == 0 and f"released 1 claim(s): {held['id']}" in forced.output, forced.output
            events = client.get("/events", params={"repo_id": REPO}).json()["events"]
            (release,) = [e for e in events if e["event_type"] == "release"]
            assert release["engineer"] == OPS and release["detail"]["holder"] == ALEX
            assert_server_exclusive(client, REPO)
    finally:
        server.stop()
