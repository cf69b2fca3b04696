"""`coord-api` start-up: refusals of unusable settings, and the claim books loaded before ready."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.invariant import assert_server_exclusive
from tests.support.seed import seed_postgres, seed_sqlite
from tests.support.server import free_port, start_server

pytestmark = pytest.mark.integration


def _coord_api(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
    full.update(
        {
            "COORD_HOST": "127.0.0.1",
            "COORD_PORT": str(free_port()),
            "COORD_DATABASE_PATH": str(tmp_path / "coord.db"),
            "COORD_NO_UPDATE_CHECK": "1",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "coordination.cli.api_server"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# ------------------------------------------------------------------ 8.11 placeholders


@pytest.mark.parametrize("token", ["set-me", "change-me-to-a-long-random-string", " set-me ", "   ", "\t"])
def test_coord_api_refuses_a_placeholder_or_blank_token(tmp_path: Path, token: str) -> None:
    line = _one_line(_coord_api(tmp_path, COORD_AUTH_TOKEN=token))
    assert line.startswith("coord-api: refusing to start: COORD_AUTH_TOKEN is")
    assert ("placeholder" in line) == bool(token.strip())


def test_a_placeholder_token_is_refused_even_for_an_insecure_demo(tmp_path: Path) -> None:
    line = _one_line(_coord_api(tmp_path, COORD_AUTH_TOKEN="set-me", COORD_ALLOW_INSECURE_NO_AUTH="true"))
    assert "placeholder 'set-me'" in line


def test_an_empty_token_is_an_unset_token(tmp_path: Path) -> None:
    line = _one_line(_coord_api(tmp_path, COORD_AUTH_TOKEN=""))
    assert "refusing to start without a token" in line


# -------------------------------------------------------------------- 9.14 settings


@pytest.mark.parametrize(
    ("name", "value"),
    [("COORD_PORT", "abc"), ("COORD_LOG_JSON", "maybe"), ("COORD_MAX_CLAIM_RATIO", "5"), ("COORD_PORT", "0")],
)
def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path, name: str, value: str) -> None:
    line = _one_line(_coord_api(tmp_path, COORD_AUTH_TOKEN="a-real-token-1234", **{name: value}))
    assert line.startswith(f"coord-api: {name}={value!r}: ")


def test_a_bad_secret_setting_is_named_without_echoing_it(tmp_path: Path) -> None:
    line = _one_line(_coord_api(tmp_path, COORD_AUTH_TOKEN="a-real-token-1234", COORD_WEBHOOK_URL="ftp://x"))
    assert "COORD_WEBHOOK_URL" in line and "http://" in line


def test_empty_settings_mean_unset(tmp_path: Path) -> None:
    """`.env.example` shows `COORD_LOG_JSON=` and friends: copied as they are, the defaults apply."""
    empty = {
        name: ""
        for name in (
            "COORD_LOG_JSON",
            "COORD_REPO_SCOPE",
            "COORD_DISABLE_BACKGROUND_CLEANUP",
            "COORD_WEBHOOK_SECRET",
            "COORD_WEBHOOK_EVENTS",
            "COORD_DISABLE_INSTANCE_LOCK",
            "COORD_MAX_CLAIM_FILES",
        )
    }
    server = start_server(tmp_path, env=empty)
    try:
        with server.client() as client:
            assert client.get("/readyz").json()["status"] == "ready"
            r = client.post("/claims", json={"engineer": "a/cli/main", "claims": [{"pattern": "src/a.ts"}]})
            assert r.status_code == 200, r.text
    finally:
        server.stop()


# ------------------------------------------------------------ 9.15 books at start-up


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_books_are_loaded_before_ready_so_the_first_claim_loads_nothing(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    big, small, count = "warm/big", "warm/small", 20_000
    env = {"COORD_LOG_LEVEL": "info", "COORD_DISABLE_BACKGROUND_CLEANUP": "1"}
    if backend == "postgres":
        url = request.getfixturevalue("pg_migrated_url")
        env["COORD_DATABASE_URL"] = url
    start_server(tmp_path, env=env).stop()  # creates the schema
    if backend == "postgres":
        seed_postgres(url, big, count)
        seed_postgres(url, small, 50)
    else:
        seed_sqlite(tmp_path / "coord.db", big, count)
        seed_sqlite(tmp_path / "coord.db", small, 50)

    server = start_server(tmp_path, env=env, timeout=120)  # returns at the first 200 from /readyz
    try:
        at_ready = server.log.read_text()
        assert f"book of repo '{big}' loaded during start-up: {count} active claims" in at_ready
        assert f"book of repo '{small}' loaded during start-up: 50 active claims" in at_ready
        assert f"books loaded: {count + 50} active claims of 2 repos" in at_ready

        with server.client() as client:
            # the seeded claims hold at once ...
            taken = client.post(
                "/claims", json={"engineer": "x/cli/main", "repo_id": big, "claims": [{"pattern": "seed/d0/s0/f0.ts"}]}
            )
            assert taken.status_code == 409, taken.text
            # ... and neither this first claim nor the next loaded a book
            for repo, path in ((big, "fresh/one.ts"), (small, "fresh/two.ts"), (small, "seed/**")):
                r = client.post(
                    "/claims", json={"engineer": "x/cli/main", "repo_id": repo, "claims": [{"pattern": path}]}
                )
                assert r.status_code in (200, 409), r.text
            assert "loaded during a request" not in server.log.read_text()
            assert_server_exclusive(client, repo_id=small)
    finally:
        server.stop()
