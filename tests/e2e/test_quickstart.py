"""The README as a new user follows it: coord start, the curl example, the CLI, coord stop."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import free_port

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
CURL_EXAMPLE = """curl -sS -X POST http://127.0.0.1:{port}/claims \\
-H "Authorization: Bearer $COORD_AUTH_TOKEN" \\
-H "Content-Type: application/json" \\
-d '{{
"engineer": "alex/claude/main",
"branch": "alex/feature",
"description": "touching auth module",
"claims": [{{"type": "file", "pattern": "src/auth/**"}}],
"ttl_hours": 4
}}'"""


def coord(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "coord"), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=90)


def test_start_curl_cli_stop(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
    env.update(
        {
            "COORD_HOME": str(tmp_path / "home"),
            "COORD_PORT": str(port),
            "COORD_NO_UPDATE_CHECK": "1",
            "PATH": f"{BIN}:{env.get('PATH', '')}",
        }
    )
    started = coord("start", "--background", env=env, cwd=tmp_path)
    try:
        assert started.returncode == 0, started.stderr
        assert f"http://127.0.0.1:{port}/dashboard" in started.stdout
        token = re.search(r"^export COORD_AUTH_TOKEN=(\S+)$", started.stdout, re.M).group(1)  # type: ignore[union-attr]
        token_file = tmp_path / "home" / "token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert token_file.read_text().strip() == token
        assert token not in (tmp_path / "home" / "server.log").read_text()

        again = coord("start", "--background", env=env, cwd=tmp_path)
        assert again.returncode == 0 and "already running" in again.stdout

        shell = subprocess.run(
            ["bash", "-c", CURL_EXAMPLE.format(port=port)],
            env={**env, "COORD_AUTH_TOKEN": token},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert '"outcome":"GRANT"' in shell.stdout, shell.stdout + shell.stderr

        app = tmp_path / "app"
        app.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=app, check=True)
        user = {**env, "COORD_AUTH_TOKEN": token, "COORD_API_URL": f"http://127.0.0.1:{port}"}
        ls = coord("ls", "--everyone", env=user, cwd=app)
        assert ls.returncode == 0 and "src/auth/**" in ls.stdout and "alex/claude/main" in ls.stdout
        blocked = coord("claim", "src/auth/login.ts", "--engineer", "bob/cli/main", env=user, cwd=app)
        assert blocked.returncode == 3 and "alex/claude/main" in blocked.stderr
        conflicts = coord("conflicts", "src/auth/login.ts", "--engineer", "bob/cli/main", env=user, cwd=app)
        assert conflicts.returncode == 3
        mine = coord("claim", "docs/guide.md", "--engineer", "bob/cli/main", "-d", "docs", env=user, cwd=app)
        assert mine.returncode == 0 and "docs/guide.md" in mine.stdout
        assert coord("conflicts", "docs/x.md", env=user, cwd=app).returncode == 0
        done = coord("release", "--all", "--engineer", "bob/cli/main", env=user, cwd=app)
        assert done.returncode == 0 and "released 1 claim" in done.stdout
        assert coord("status", env=env, cwd=tmp_path).returncode == 0
        # status finds the service where start put it, whatever COORD_PORT says now
        elsewhere = {**env, "COORD_PORT": "1"}
        assert f"ready at http://127.0.0.1:{port}" in coord("status", env=elsewhere, cwd=tmp_path).stdout

        # README, next step: wire the app repo and let doctor check it, all green.
        subprocess.run(["git", "remote", "add", "origin", "git@github.com:acme/shop.git"], cwd=app, check=True)
        wired = coord("init", "--tool", "claude", "--mode", "local", "--yes", env=env, cwd=app)
        assert wired.returncode == 0 and f"http://127.0.0.1:{port}" in wired.stdout, wired.stdout + wired.stderr
        doctor = coord("doctor", env=env, cwd=app)
        assert doctor.returncode == 0 and re.search(r"all \d+ checks passed", doctor.stdout), doctor.stdout
    finally:
        stopped = coord("stop", env=env, cwd=tmp_path)
    assert stopped.returncode == 0 and "Stopped coord" in stopped.stdout
    assert coord("status", env=env, cwd=tmp_path).returncode == 1
