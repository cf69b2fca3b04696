"""`coord ownership pull` / `push`: the real console script in a temp git repo, against a
real server on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_ENV
from tests.e2e.conftest import Coord
from tests.support import databases
from tests.support.invariant import assert_server_exclusive
from tests.support.server import Server, start_server
from tests.wiring.repos import make_repo

pytestmark = pytest.mark.integration

OWNERS = """# team rules (edited by hand)
owners:
  - pattern: src/**
    owners: [alex]  # tech lead
shared_files:
  - package-lock.json  # everyone
"""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"COORD_DISABLE_INSTANCE_LOCK": "1", "COORD_DISABLE_BACKGROUND_CLEANUP": "1"}
    dropped = None
    if request.param == "postgres":
        pg = os.environ.get(PG_ENV)
        if not pg:
            pytest.skip(f"{PG_ENV} is not set: no PostgreSQL to test against")
        url, name = databases.fresh_pg_database(pg, migrated=True)
        dropped = (pg, name)
        env["COORD_DATABASE_URL"] = url
    running = start_server(tmp_path_factory.mktemp("ownership-cli"), env=env, token=secrets.token_urlsafe(16))
    try:
        yield running
    finally:
        running.stop()
        if dropped:
            databases.drop_pg_database(*dropped)


def wired_repo(tmp_path: Path, server: Server) -> tuple[Path, str]:
    """A git work tree with `.coordination/local.env` pointing at `server`."""
    root, _ = make_repo(tmp_path)
    repo_id = "cli/" + secrets.token_hex(4)
    coord_dir = root / ".coordination"
    coord_dir.mkdir(mode=0o700)
    env_file = coord_dir / "local.env"
    env_file.write_text(
        f"COORD_API_URL={server.url}\nCOORD_AUTH_TOKEN={server.token}\nCOORD_REPO_ID={repo_id}\n"
        "COORD_ENGINEER=alex/cli/main\n"
    )
    env_file.chmod(0o600)
    return root, repo_id


def flat(text: str) -> str:
    """Console output with line wrapping undone."""
    return " ".join(text.split())


def remote(c: httpx.Client, repo_id: str) -> str:
    return str(c.get("/config/ownership", params={"repo_id": repo_id}).json()["yaml"])


def test_push_then_pull_brings_both_copies_together(tmp_path: Path, coord: Coord, server: Server) -> None:
    root, repo_id = wired_repo(tmp_path, server)
    local = root / ".coordination" / "owners.yaml"
    local.write_text(OWNERS)
    with server.client() as c:
        pushed = coord.run("ownership", "push", cwd=root / "src", check=True)  # found from a subdirectory
        assert "pushed" in flat(pushed.stdout) and remote(c, repo_id) == OWNERS

        # coord writes into the service's copy: a promotion through the API.
        promoted = c.post(
            "/metrics/hotspots/promote", json={"repo_id": repo_id, "action": "shared_file", "pattern": "src/api.ts"}
        )
        assert promoted.status_code == 200, promoted.text
        assert "src/api.ts" not in local.read_text()

        # The local file has nothing the service lacks: pull takes the service's copy.
        pulled = coord.run("ownership", "pull", cwd=root, check=True)
        assert "pulled" in flat(pulled.stdout)
        assert local.read_text() == remote(c, repo_id)
        assert re.search(r"- src/api.ts +# coord-promoted=", local.read_text())
        assert "already the service's copy" in flat(coord.run("ownership", "pull", cwd=root, check=True).stdout)

        # Someone edits the local file and drops coord's line by accident: push keeps it.
        edited = local.read_text().replace("  - package-lock.json  # everyone\n", "  - yarn.lock  # yarn now\n")
        edited = re.sub(r"  - src/api.ts +# coord-promoted=\S+\n", "", edited)
        local.write_text(edited)
        pushed = coord.run("ownership", "push", cwd=root, check=True)
        assert "kept shared_files: src/api.ts" in flat(pushed.stdout)
        stored = remote(c, repo_id)
        assert "yarn.lock  # yarn now" in stored and "src/api.ts" in stored and "# tech lead" in stored
        assert local.read_text() == stored  # written back: both copies are equal again

        # Asked to, push drops coord's entries the local file does not list.
        local.write_text(OWNERS)
        dropped = coord.run("ownership", "push", "--replace-managed", cwd=root, check=True)
        assert "dropped shared_files: src/api.ts" in flat(dropped.stdout)
        assert remote(c, repo_id) == OWNERS and local.read_text() == OWNERS
        assert_server_exclusive(c, repo_id)


def test_pull_refuses_to_overwrite_rules_not_pushed(tmp_path: Path, coord: Coord, server: Server) -> None:
    root, repo_id = wired_repo(tmp_path, server)
    local = root / ".coordination" / "owners.yaml"
    with server.client() as c:
        assert c.post("/config/ownership", json={"repo_id": repo_id, "yaml": OWNERS}).status_code == 200
        local.write_text(OWNERS + "  - docs/CHANGELOG.md  # not pushed yet\n")
        refused = coord.run("ownership", "pull", cwd=root)
        assert refused.returncode == 1
        assert "docs/CHANGELOG.md" in flat(refused.stderr) and "coord ownership push" in flat(refused.stderr)
        assert "docs/CHANGELOG.md" in local.read_text()
        forced = coord.run("ownership", "pull", "--force", cwd=root, check=True)
        assert "pulled" in flat(forced.stdout) and local.read_text() == OWNERS


def test_push_of_a_bad_file_says_why_and_changes_nothing(tmp_path: Path, coord: Coord, server: Server) -> None:
    root, repo_id = wired_repo(tmp_path, server)
    local = root / ".coordination" / "owners.yaml"
    with server.client() as c:
        assert c.post("/config/ownership", json={"repo_id": repo_id, "yaml": OWNERS}).status_code == 200
        bomb = "version: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        local.write_text(bomb)
        failed = coord.run("ownership", "push", cwd=root)
        assert failed.returncode == 1 and "may not use YAML anchors" in flat(failed.stderr)
        assert len(failed.stderr) < 1000
        assert remote(c, repo_id) == OWNERS and local.read_text() == bomb


def test_without_a_local_file_or_a_service_copy(tmp_path: Path, coord: Coord, server: Server) -> None:
    root, repo_id = wired_repo(tmp_path, server)
    missing = coord.run("ownership", "push", cwd=root)
    assert missing.returncode == 1 and "coord ownership pull" in flat(missing.stderr)
    empty = coord.run("ownership", "pull", cwd=root, check=True)
    assert "has no owners.yaml" in flat(empty.stdout) and not (root / ".coordination" / "owners.yaml").exists()
