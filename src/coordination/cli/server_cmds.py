"""`coord start`, `coord stop`, `coord status`: a local service under COORD_HOME.

`coord start` gives the server a random instance nonce and only says "ready" when
`/readyz` on its URL reports that nonce: another program answering on the port is
never taken for it. What it launched is recorded in COORD_HOME (see
`coordination.local_service`); a start that fails or times out stops what it
launched, and `coord stop` only signals a process that is still that server.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import typer

from coordination import local_service
from coordination.config import DEFAULT_PORT, Settings, load_settings

LOCAL_HOST = "127.0.0.1"
STOP_GRACE_SEC = 10.0


def _home(settings: Settings) -> Path:
    home = settings.resolved_home()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    return home


def ensure_token(home: Path) -> str:
    """The local service's token, created once, readable by the owner only."""
    path = home / "token"
    if path.exists():
        path.chmod(0o600)
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


def _readyz(url: str, timeout: float = 1.0) -> tuple[int, dict[str, object]] | None:
    """(status code, body) of `GET /readyz`, or None when nothing answers there."""
    import httpx  # only start and status ask the service: `coord stop` need not load the HTTP client

    try:
        resp = httpx.get(f"{url}/readyz", timeout=timeout)
    except httpx.HTTPError:
        return None
    try:
        body = resp.json()
    except ValueError:
        body = {}
    return resp.status_code, body if isinstance(body, dict) else {}


def _ready_as(url: str, instance: str | None, timeout: float = 1.0) -> bool:
    """The service at `url` is ready and is the instance `coord start` launched."""
    answer = _readyz(url, timeout)
    if answer is None or answer[0] != 200:
        return False
    return instance is None or answer[1].get("instance") == instance


def _url_port(url: str) -> int | None:
    try:
        return urlsplit(url).port
    except ValueError:
        return None


def start_hint(home: Path, url: str | None = None) -> str:
    """`coord start --background`, with the port of `url` (a local one) or else of the last start."""
    local = url if url and urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1") else None
    port = _url_port(local or local_service.remembered_url(home) or "")
    return "coord start --background" + (f" --port {port}" if port and port != DEFAULT_PORT else "")


def _port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port (None when it can), checked the way uvicorn binds."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        return f"cannot resolve host {host!r}: {exc.strerror}"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "in use"
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def _port_in_use(port: int, host: str) -> str:
    return (
        f"coord start: port {port} is already in use by another program, so coord cannot listen on "
        f"{host}:{port}. Find it with `ss -ltnp 'sport = :{port}'` (or `lsof -i :{port}`) and stop it, "
        f"or start coord on another port: coord start --background --port {port + 1 if port < 65535 else 8181}"
    )


def _announce(url: str, token: str) -> None:
    typer.echo(f"coord is ready.\n  API:       {url}\n  Dashboard: {url}/dashboard\n")
    typer.echo("Paste this into your shell to use the API and the CLI:")
    typer.echo(f"export COORD_AUTH_TOKEN={token}")


def _server_env(home: Path, host: str, port: int, token: str, instance: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "COORD_AUTH_TOKEN": token,
            "COORD_HOST": host,
            "COORD_PORT": str(port),
            "COORD_INSTANCE_ID": instance,
            "COORD_DATABASE_PATH": os.environ.get("COORD_DATABASE_PATH") or str(home / "coordination.db"),
        }
    )
    return env


def _running(home: Path) -> local_service.ServerRecord | None:
    """The server `coord start` launched from this COORD_HOME, if that very process still runs."""
    record = local_service.server_record(home)
    if record is None:
        return None
    if local_service.is_our_server(record):
        return record
    return None


def _terminate(pid: int, is_same: Callable[[], bool], grace: float = STOP_GRACE_SEC) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; only while `is_same()` says pid is still that process."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and is_same():
        time.sleep(0.05)
    if is_same():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _stop_launched(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server this command launched (it is our child: its pid cannot have been reused)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_GRACE_SEC)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _resolve_address(home: Path, host: str | None, port: int | None, settings: Settings) -> tuple[str, int]:
    """--host/--port, else COORD_HOST/COORD_PORT, else where the last start listened, else 127.0.0.1:8080."""
    remembered = local_service.read_state(home)
    host = host or os.environ.get("COORD_HOST") or remembered.get("host") or LOCAL_HOST
    if port is None:
        port = settings.port if os.environ.get("COORD_PORT") else remembered.get("port") or settings.port
    assert port is not None
    return str(host), int(port)


def start(
    background: bool = typer.Option(False, "--background", "-b", help="Run detached; log to COORD_HOME/server.log."),
    host: str | None = typer.Option(None, help="Bind host (default 127.0.0.1, or COORD_HOST)."),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Bind port (default: COORD_PORT, else the last start's port, else 8080)."
    ),
) -> None:
    """Start a local coord service on SQLite under COORD_HOME and print how to reach it."""
    from coordination.api.app import InsecureConfiguration, check_auth_settings

    settings = load_settings()
    home = _home(settings)
    if settings.auth_token is not None:
        try:
            check_auth_settings(settings)
        except InsecureConfiguration as exc:
            typer.echo(f"coord start: {exc}", err=True)
            raise typer.Exit(2) from None
    token = settings.auth_token.get_secret_value() if settings.auth_token else ensure_token(home)
    host, port = _resolve_address(home, host, port, settings)
    shown = LOCAL_HOST if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}"

    running = _running(home)
    if running is not None:
        where = running.url or local_service.remembered_url(home) or url
        if not _ready_as(where, running.instance):
            typer.echo(
                f"coord is running (pid {running.pid}) but not ready at {where}; "
                f"see {home / 'server.log'}, or restart it: coord stop && coord start --background",
                err=True,
            )
            raise typer.Exit(1)
        if where != url:
            typer.echo(
                f"coord is already running at {where} (pid {running.pid}); to move it to {url}, "
                "stop it first: coord stop",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(f"coord is already running (pid {running.pid}).")
        _announce(url, token)
        return
    local_service.forget_server(home)  # whatever was recorded is not running any more

    problem = _port_problem(host, port)
    if problem == "in use":
        typer.echo(_port_in_use(port, host), err=True)
        raise typer.Exit(1)
    if problem:
        typer.echo(f"coord start: {problem}", err=True)
        raise typer.Exit(1)

    instance = secrets.token_hex(16)
    env = _server_env(home, host, port, token, instance)
    command = [sys.executable, "-m", local_service.SERVER_MODULE]
    log_path = home / "server.log"
    if background:
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
    else:
        # Same terminal and process group: Ctrl-C reaches the server directly.
        proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    started = local_service.process_started(proc.pid)
    local_service.update_state(home, server={"pid": proc.pid, "started": started, "instance": instance, "url": url})
    try:
        _wait_until_ready(proc, url, port, host, instance, settings.start_ready_timeout_sec, log_path, background)
    except BaseException:
        _stop_launched(proc)
        local_service.forget_server(home)
        raise
    local_service.update_state(home, url=url, host=host, port=port)
    if background:
        typer.echo(f"Started coord in the background (pid {proc.pid}); log: {log_path}")
        _announce(url, token)
        return
    _announce(url, token)
    typer.echo("Running in the foreground; Ctrl-C stops it.", err=True)
    raise typer.Exit(_serve_foreground(proc, home))


def _wait_until_ready(
    proc: subprocess.Popen[bytes],
    url: str,
    port: int,
    host: str,
    instance: str,
    timeout: float,
    log_path: Path,
    background: bool,
) -> None:
    """Return once `/readyz` at `url` is 200 from `instance`; else say why on stderr and raise Exit(1)."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").splitlines()[-15:] if background else []
            if any("address already in use" in line.lower() for line in tail):
                typer.echo(_port_in_use(port, host), err=True)
            else:
                where = "\n  " + "\n  ".join(tail) if tail else " (its messages are above)"
                typer.echo(f"coord failed to start (exit code {proc.returncode}):{where}", err=True)
            raise typer.Exit(1)
        answer = _readyz(url, timeout=0.5)
        if answer is not None:
            code, body = answer
            if body.get("instance") != instance:
                # Something else answers on the port (it took it first): ours cannot listen there.
                typer.echo(_port_in_use(port, host), err=True)
                raise typer.Exit(1)
            if code == 200:
                return
            last = f"/readyz answers {code}: {body.get('detail', '')}"
        time.sleep(0.1)
    where = f"; see {log_path}" if background else ""
    typer.echo(
        f"coord did not become ready within {timeout:g}s ({last}); stopped it (pid {proc.pid}){where}. "
        "A slow first start can be given more time with COORD_START_READY_TIMEOUT_SEC.",
        err=True,
    )
    raise typer.Exit(1)


def _serve_foreground(proc: subprocess.Popen[bytes], home: Path) -> int:
    """Wait for the foreground server; pass SIGTERM/SIGHUP on to it. Returns its exit code."""

    def forward(signum: int, frame: FrameType | None) -> None:
        del frame
        if proc.poll() is None:
            proc.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:
                continue  # the server got the same Ctrl-C and is shutting down
    finally:
        local_service.forget_server(home)
    return 0 if code in (0, -signal.SIGINT, -signal.SIGTERM) else code


def stop() -> None:
    """Stop the service started by `coord start`; never signal a process that is not that server."""
    home = _home(load_settings())
    record = local_service.server_record(home)
    if record is None:
        typer.echo("coord is not running.")
        return
    if not local_service.is_our_server(record):
        local_service.forget_server(home)
        other = local_service.process_command(record.pid) if local_service.process_started(record.pid) else None
        if other:
            typer.echo(
                f"coord is not running. The recorded pid {record.pid} now belongs to another program "
                f"({other[:80]}); left it alone and cleared the stale record."
            )
        else:
            typer.echo("coord is not running (cleared the stale record).")
        return
    _terminate(record.pid, lambda: local_service.is_our_server(record))
    local_service.forget_server(home)
    typer.echo(f"Stopped coord (pid {record.pid}).")


def status() -> None:
    """Say whether the local service is running and ready, and where."""
    settings = load_settings()
    home = _home(settings)
    record = _running(home)
    url = (
        (record.url if record else None) or local_service.remembered_url(home) or f"http://{LOCAL_HOST}:{settings.port}"
    )
    answer = _readyz(url)
    if record is None:
        if answer is not None:
            typer.echo(
                f"coord is not running from {home}, but another service answers at {url} "
                f"(not the coord this COORD_HOME started). Stop it, or start coord elsewhere: "
                f"coord start --background --port <port>"
            )
        else:
            typer.echo(f"coord is not running. Start it with: {start_hint(home)}")
        raise typer.Exit(1)
    if answer is not None and record.instance and answer[1].get("instance") != record.instance:
        typer.echo(
            f"coord (pid {record.pid}) is running but another service answers at {url}; "
            f"restart it: coord stop && {start_hint(home)}"
        )
        raise typer.Exit(1)
    ready = answer is not None and answer[0] == 200
    typer.echo(f"coord: {'ready' if ready else 'not ready'} at {url} (pid {record.pid}); home {home}")
    if not ready:
        detail = answer[1].get("detail") if answer else "no answer"
        typer.echo(f"  /readyz: {detail}; log: {home / 'server.log'}")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(start)
    app.command()(stop)
    app.command()(status)
