"""Fixtures for end-to-end tests of the application-repo wiring: the real `coord`
console script in subprocesses, temp git repos with a bare remote, a real server."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.forkserver import run_cli, wants_fresh_interpreter

BIN = Path(sys.executable).parent


def _shim_dir(base: Path) -> Path:
    """Console scripts when the package is not installed (editable install missing)."""
    shims = base / "shims"
    shims.mkdir(exist_ok=True)
    for name, module in (
        ("coord", "coordination.cli.entry"),
        ("coord-mcp", "coordination.mcp_bridge"),
    ):
        path = shims / name
        path.write_text(f"#!{sys.executable}\nimport sys\nfrom {module} import main\nsys.exit(main())\n")
        path.chmod(0o755)
    return shims


@dataclass
class Coord:
    """Runs the real `coord` console script with a controlled environment."""

    env: dict[str, str]
    home: Path
    forked: bool = True  # False: exec the console script on PATH, as a user's shell does

    def run(
        self,
        *args: str,
        cwd: Path,
        input: str | None = None,
        env: dict[str, str] | None = None,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        run_env = {**self.env, **(env or {})}
        if self.forked and not wants_fresh_interpreter(run_env):
            # Forked from a helper that has imported the CLI (tests/support/forkserver.py):
            # the same `main()` with the same arguments, environment, directory and input,
            # without 0.3 s of imports per run.
            proc = run_cli(list(args), run_env, cwd, input=input, timeout=60)
        else:
            proc = subprocess.run(
                ["coord", *args],
                cwd=cwd,
                env=run_env,
                input=input,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        if check and proc.returncode != 0:
            raise AssertionError(f"coord {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def git(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def coord(tmp_path: Path) -> Coord:
    bin_dirs = [str(BIN)]
    if not (BIN / "coord").exists():
        bin_dirs.insert(0, str(_shim_dir(tmp_path)))
    home = tmp_path / "coord-home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COORD_") and not k.startswith("GIT_") and k != "PYTEST_CURRENT_TEST"
    }
    env.update(
        {
            "PATH": os.pathsep.join([*bin_dirs, "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(tmp_path / "user-home"),
            "COORD_HOME": str(home),
            "COORD_NO_UPDATE_CHECK": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
    )
    (tmp_path / "user-home").mkdir()
    return Coord(env=env, home=home, forked=(BIN / "coord").exists())


@dataclass
class LiveServer:
    url: str
    token: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10)

    def claim(self, engineer: str, *patterns: str, repo_id: str, **extra: object) -> dict:
        with self.client() as c:
            r = c.post(
                "/claims",
                json={
                    "engineer": engineer,
                    "repo_id": repo_id,
                    "claims": [{"type": "file", "pattern": p} for p in patterns],
                    **extra,
                },
            )
            assert r.status_code == 200, r.text
            return dict(r.json())

    def claims(self, **params: str) -> list[dict]:
        with self.client() as c:
            r = c.get("/claims", params=params)
            assert r.status_code == 200, r.text
            return list(r.json()["claims"])

    def release_all(self, engineer: str, repo_id: str) -> None:
        with self.client() as c:
            r = c.post("/claims/release", json={"repo_id": repo_id, "engineer": engineer})
            assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real coord-api process (free port, temp DB, random token), stopped after the module."""
    from tests.support.server import start_server

    token = secrets.token_urlsafe(24)
    tmp = tmp_path_factory.mktemp("coord-server")
    server = start_server(
        tmp,
        token=token,
        env={"COORD_DISABLE_INSTANCE_LOCK": "1", "COORD_DISABLE_BACKGROUND_CLEANUP": "1"},
    )
    try:
        yield LiveServer(server.url, token)
    finally:
        server.stop()


def closed_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
