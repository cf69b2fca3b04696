"""`coord start`, `coord stop`, `coord status`: a local service under COORD_HOME."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import typer

from coordination.config import Settings

LOCAL_HOST = "127.0.0.1"


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


def _pid(home: Path) -> int | None:
    try:
        pid = int((home / "server.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def _ready(url: str, timeout: float = 1.0) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _announced_url(home: Path) -> str | None:
    """The URL the last `coord start` printed (it may have used --port)."""
    try:
        return (home / "url").read_text().strip() or None
    except OSError:
        return None


def _announce(url: str, token: str) -> None:
    typer.echo(f"coord is ready.\n  API:       {url}\n  Dashboard: {url}/dashboard\n")
    typer.echo("Paste this into your shell to use the API and the CLI:")
    typer.echo(f"export COORD_AUTH_TOKEN={token}")


def _server_env(settings: Settings, home: Path, host: str, port: int, token: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "COORD_AUTH_TOKEN": token,
            "COORD_HOST": host,
            "COORD_PORT": str(port),
            "COORD_DATABASE_PATH": str(home / "coordination.db")
            if "COORD_DATABASE_PATH" not in os.environ
            else os.environ["COORD_DATABASE_PATH"],
        }
    )
    return env


def start(
    background: bool = typer.Option(False, "--background", "-b", help="Run detached; log to COORD_HOME/server.log."),
    host: str | None = typer.Option(None, help="Bind host (default 127.0.0.1, or COORD_HOST)."),
    port: int | None = typer.Option(None, help="Bind port (default 8080, or COORD_PORT)."),
) -> None:
    """Start a local coord service on SQLite under COORD_HOME and print how to reach it."""
    settings = Settings()
    home = _home(settings)
    token = settings.auth_token.get_secret_value() if settings.auth_token else ensure_token(home)
    host = host or os.environ.get("COORD_HOST") or LOCAL_HOST
    port = port or settings.port
    shown = LOCAL_HOST if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}"
    # `coord init --mode local` reads this to point the repo at this service.
    (home / "url").write_text(url + "\n")
    running = _pid(home)
    if running and _ready(url):
        typer.echo(f"coord is already running (pid {running}).")
        _announce(url, token)
        return
    env = _server_env(settings, home, host, port, token)
    command = [sys.executable, "-m", "coordination.cli.api_server"]
    if not background:
        _announce(url, token)
        typer.echo("Running in the foreground; Ctrl-C stops it.", err=True)
        os.execvpe(command[0], command, env)
    log_path = home / "server.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (home / "server.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + settings.start_ready_timeout_sec
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").splitlines()[-15:]
            typer.echo("coord failed to start:\n  " + "\n  ".join(tail), err=True)
            raise typer.Exit(1)
        if _ready(url, timeout=0.5):
            typer.echo(f"Started coord in the background (pid {proc.pid}); log: {log_path}")
            _announce(url, token)
            return
        time.sleep(0.1)
    typer.echo(
        f"coord did not become ready within {settings.start_ready_timeout_sec:g}s; see {log_path}",
        err=True,
    )
    raise typer.Exit(1)


def stop() -> None:
    """Stop the background service started by `coord start --background`."""
    home = _home(Settings())
    pid = _pid(home)
    if pid is None:
        typer.echo("coord is not running.")
        (home / "server.pid").unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _pid(home) is not None:
        time.sleep(0.1)
    if _pid(home) is not None:
        os.kill(pid, signal.SIGKILL)
    (home / "server.pid").unlink(missing_ok=True)
    typer.echo(f"Stopped coord (pid {pid}).")


def status() -> None:
    """Say whether the local service is running and ready."""
    settings = Settings()
    home = _home(settings)
    pid = _pid(home)
    url = _announced_url(home) or f"http://{LOCAL_HOST}:{settings.port}"
    ready = _ready(url)
    if pid is None and not ready:
        typer.echo("coord is not running. Start it with: coord start --background")
        raise typer.Exit(1)
    typer.echo(f"coord: {'ready' if ready else 'not ready'} at {url} (pid {pid or 'unknown'}); home {home}")
    if not ready:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(start)
    app.command()(stop)
    app.command()(status)
