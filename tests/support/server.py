"""Start the real `coord-api` process on a free port for a test, and stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support import databases
from tests.support.forkserver import LAUNCHER, ForkedProcess, wants_fresh_interpreter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes] | ForkedProcess
    url: str
    token: str
    log: Path

    def client(self, **kw: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30, **kw)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=15)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(
    tmp: Path,
    env: dict[str, str] | None = None,
    token: str = "race-token",
    port: int | None = None,
    timeout: float = 120.0,
    migrated: bool = True,
) -> Server:
    """`coord-api` on `port` (a free one by default), once /readyz answers 200.

    Its SQLite file is `tmp/coord.db` unless `env` names another database. A new default
    file starts as a copy of the migrated template (tests/support/databases.py), so the
    server's own migration at start-up finds the schema at its head; `migrated=False`
    lets the server create the file itself. The process is forked from one that has already
    imported the server (tests/support/forkserver.py) unless its environment needs a new
    interpreter (`wants_fresh_interpreter`). `timeout` is generous: on a loaded machine
    (parallel workers beside other work) a start takes many times its usual second or two.
    """
    port = port or free_port()
    database = tmp / "coord.db"
    overridden = env is not None and ("COORD_DATABASE_PATH" in env or "COORD_DATABASE_URL" in env)
    if migrated and not overridden and not database.exists():
        databases.migrated_sqlite(database)
    full_env = {
        **os.environ,
        "COORD_AUTH_TOKEN": token,
        "COORD_HOST": "127.0.0.1",
        "COORD_PORT": str(port),
        "COORD_DATABASE_PATH": str(database),
        "COORD_LOG_LEVEL": "warning",
        "COORD_NO_UPDATE_CHECK": "1",
        **(env or {}),
    }
    log = tmp / f"server-{port}.log"
    proc: subprocess.Popen[bytes] | ForkedProcess
    if wants_fresh_interpreter(full_env):
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "coordination.cli.api_server"],
                env=full_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
    else:
        log.write_bytes(b"")
        proc = LAUNCHER.spawn(full_env, Path.cwd(), log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return Server(proc, url, token, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"server not ready in {timeout}s:\n{log.read_text()}")


@contextmanager
def start_replicas(tmp: Path, env: dict[str, str], backend: str = "sqlite", count: int = 2) -> Iterator[list[Server]]:
    """`count` servers sharing one store, as behind a load balancer: the SQLite file in
    `tmp`, or for `backend="postgres"` a fresh migrated database (`server_store_env`).
    All are stopped afterwards."""
    servers: list[Server] = []
    with databases.server_store_env(backend) as store_env:
        try:
            for _ in range(count):
                servers.append(start_server(tmp, env={**env, **store_env}))
            yield servers
        finally:
            for server in servers:
                server.stop()
