"""`coord start` / `status` / `stop` / `doctor` as an operator uses them, with their mistakes:
a busy port, a forgotten `--port`, a start that times out, a stale pid file, bad settings.

Real `coord` processes with a temp COORD_HOME, real ports, real unrelated processes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Coord
from tests.support.server import free_port

pytestmark = pytest.mark.integration


def _proc_start(pid: int) -> str | None:
    """The kernel's start time of a live (not zombie) process, as `coord start` records it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else f"proc:{fields[19]}"


def _alive(pid: int) -> bool:
    return _proc_start(pid) is not None


def _wait_gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _state(coord: Coord) -> dict:
    path = coord.home / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


@pytest.fixture
def stop_after(coord: Coord, tmp_path: Path) -> Iterator[None]:
    """Whatever a test started from this COORD_HOME is stopped at the end."""
    yield
    coord.run("stop", cwd=tmp_path)


class _ReadyHandler(BaseHTTPRequestHandler):
    """Another program on the port that answers `/readyz` with 200, as many services do."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = json.dumps({"status": "ready"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def squatter() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ReadyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ 9.10 busy port


def test_start_on_a_busy_port_fails_names_the_port_and_prints_no_token(
    coord: Coord, tmp_path: Path, squatter: int, stop_after: None
) -> None:
    started = coord.run("start", "--background", "--port", str(squatter), cwd=tmp_path)
    assert started.returncode == 1
    assert f"port {squatter} is already in use" in started.stderr
    assert "--port" in started.stderr  # the fix
    assert "COORD_AUTH_TOKEN" not in started.stdout + started.stderr
    assert "ready" not in started.stdout
    assert "server" not in _state(coord)  # nothing recorded as running

    status = coord.run("status", cwd=tmp_path)
    assert status.returncode == 1 and "ready at" not in status.stdout


def test_status_does_not_take_another_service_for_coord(
    coord: Coord, tmp_path: Path, squatter: int, stop_after: None
) -> None:
    """The service `coord start` recorded has gone; another program now answers on its URL."""
    (coord.home / "state.json").write_text(json.dumps({"url": f"http://127.0.0.1:{squatter}", "port": squatter}))
    status = coord.run("status", cwd=tmp_path)
    assert status.returncode == 1
    assert "another service answers" in status.stdout and "ready at" not in status.stdout


def test_readyz_reports_the_instance_coord_start_launched(coord: Coord, tmp_path: Path, stop_after: None) -> None:
    port = free_port()
    started = coord.run("start", "--background", "--port", str(port), cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    server = _state(coord)["server"]
    assert server["instance"] and server["pid"] > 0
    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()
    assert ready["instance"] == server["instance"]
    assert os.stat(coord.home / "state.json").st_mode & 0o777 == 0o600


# -------------------------------------------------------------- 9.11 remembered port


def test_a_start_port_is_remembered_by_status_start_and_doctor(coord: Coord, tmp_path: Path, stop_after: None) -> None:
    app = tmp_path / "app"
    app.mkdir()
    coord.git("init", "-q", cwd=app)
    coord.git("remote", "add", "origin", "git@github.com:acme/shop.git", cwd=app)
    # Wired before any start: the repo points at the default URL.
    assert coord.run("init", "--tool", "claude", "--mode", "local", "--yes", cwd=app).returncode == 0

    port = free_port()
    started = coord.run("start", "--background", "--port", str(port), cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    url = f"http://127.0.0.1:{port}"

    status = coord.run("status", cwd=tmp_path)
    assert status.returncode == 0 and f"ready at {url}" in status.stdout
    doctor = coord.run("doctor", cwd=app)
    assert doctor.returncode == 1
    assert f"the local coord runs at {url}: re-run `coord init --mode local`" in doctor.stdout, doctor.stdout

    rewired = coord.run("init", "--tool", "claude", "--mode", "local", "--yes", cwd=app)
    assert rewired.returncode == 0 and url in rewired.stdout
    doctor = coord.run("doctor", cwd=app)
    assert doctor.returncode == 0, doctor.stdout

    assert coord.run("stop", cwd=tmp_path).returncode == 0
    stopped = coord.run("status", cwd=tmp_path)
    assert stopped.returncode == 1
    assert f"Start it with: coord start --background --port {port}" in stopped.stdout
    doctor = coord.run("doctor", cwd=app)
    assert f"fix: start it with `coord start --background --port {port}`" in doctor.stdout, doctor.stdout

    again = coord.run("start", "--background", cwd=tmp_path)  # no --port: the remembered one
    assert again.returncode == 0 and f"API:       {url}" in again.stdout, again.stderr


# ----------------------------------------------------------- 9.12 failed start stops


def test_a_timed_out_start_stops_the_server_it_launched(coord: Coord, tmp_path: Path, stop_after: None) -> None:
    port = free_port()
    started = coord.run(
        "start", "--background", "--port", str(port), cwd=tmp_path, env={"COORD_START_READY_TIMEOUT_SEC": "0.05"}
    )
    assert started.returncode == 1
    assert "did not become ready within 0.05s" in started.stderr and "stopped it (pid" in started.stderr
    assert "COORD_AUTH_TOKEN=" not in started.stdout
    pid = int(started.stderr.split("stopped it (pid ", 1)[1].split(")", 1)[0])
    assert _wait_gone(pid), "the server coord start launched is still running"
    assert not _listening(port)
    assert "server" not in _state(coord)
    # and nothing is left in the way of a normal start
    ok = coord.run("start", "--background", "--port", str(port), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr


def test_a_start_whose_server_exits_says_why(coord: Coord, tmp_path: Path, stop_after: None) -> None:
    started = coord.run(
        "start",
        "--background",
        "--port",
        str(free_port()),
        cwd=tmp_path,
        env={"COORD_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"},
    )
    assert started.returncode == 1 and "coord failed to start" in started.stderr
    assert "COORD_AUTH_TOKEN=" not in started.stdout and "server" not in _state(coord)


# ------------------------------------------------------------- 9.13 stale pid file


@pytest.fixture
def unrelated() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "300"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("record", ["state-file", "state-file-same-start-time", "legacy-pid-file"])
def test_stop_never_signals_a_process_that_is_not_its_server(
    coord: Coord, tmp_path: Path, unrelated: subprocess.Popen[bytes], record: str
) -> None:
    pid = unrelated.pid
    if record == "legacy-pid-file":
        (coord.home / "server.pid").write_text(f"{pid}\n")
    else:
        started = _proc_start(pid) if record == "state-file-same-start-time" else "proc:1"
        server = {"pid": pid, "started": started, "instance": "x", "url": "http://127.0.0.1:1"}
        (coord.home / "state.json").write_text(json.dumps({"server": server}))
    stopped = coord.run("stop", cwd=tmp_path)
    assert stopped.returncode == 0
    assert "coord is not running" in stopped.stdout
    time.sleep(0.2)
    assert unrelated.poll() is None, "coord stop signalled an unrelated process"
    assert "server" not in _state(coord) and not (coord.home / "server.pid").exists()


def test_stop_stops_its_own_server(coord: Coord, tmp_path: Path) -> None:
    started = coord.run("start", "--background", "--port", str(free_port()), cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    pid = _state(coord)["server"]["pid"]
    stopped = coord.run("stop", cwd=tmp_path)
    assert stopped.returncode == 0 and f"Stopped coord (pid {pid})" in stopped.stdout
    assert _wait_gone(pid)


def test_foreground_start_announces_only_when_ready_and_stops_on_sigterm(coord: Coord, tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        ["coord", "start", "--port", str(port)],
        cwd=tmp_path,
        env=coord.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        before = []  # the server's access log shares the terminal
        for line in proc.stdout:
            if line.startswith("coord is ready"):
                break
            before.append(line)
        # announced only after the server itself answered /readyz with 200
        assert any('"GET /readyz HTTP/1.1" 200' in line for line in before), before
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        server_pid = _state(coord)["server"]["pid"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert _wait_gone(server_pid)
        assert "server" not in _state(coord)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------- 9.14 / 8.11 settings refusals


@pytest.mark.parametrize("command", [("start", "--background"), ("status",), ("stop",)])
def test_a_bad_setting_is_one_line_exit_2_for_the_cli(coord: Coord, tmp_path: Path, command: tuple[str, ...]) -> None:
    result = coord.run(*command, cwd=tmp_path, env={"COORD_PORT": "abc"})
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "COORD_PORT='abc'" in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize("token", ["set-me", "change-me-to-a-long-random-string", "   "])
def test_start_refuses_a_placeholder_or_blank_token(coord: Coord, tmp_path: Path, token: str) -> None:
    result = coord.run(
        "start", "--background", "--port", str(free_port()), cwd=tmp_path, env={"COORD_AUTH_TOKEN": token}
    )
    assert result.returncode == 2
    assert "COORD_AUTH_TOKEN is" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "server" not in _state(coord)


def test_empty_settings_mean_unset_for_coord_start(coord: Coord, tmp_path: Path, stop_after: None) -> None:
    port = free_port()
    empty = {"COORD_LOG_JSON": "", "COORD_PORT": "", "COORD_AUTH_TOKEN": "", "COORD_MAX_CLAIM_FILES": ""}
    started = coord.run("start", "--background", "--port", str(port), cwd=tmp_path, env=empty)
    assert started.returncode == 0, started.stderr
    assert f"http://127.0.0.1:{port}" in started.stdout
