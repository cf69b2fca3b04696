"""The once-per-24h "update available" line on stderr.

Never slows a command: the notice is printed from the cached result only; when the
cache is older than 24 h a daemon thread refreshes it from PyPI (~1 s timeout) while
the command runs, for the next invocation. Silent when offline. Disabled when
COORD_NO_UPDATE_CHECK is true (environment or `.coordination/local.env`) and under pytest. Cache:
`$COORD_HOME/update-check.json` (default `~/.coord/update-check.json`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import typer

from coordination import __version__
from coordination.client_settings import ClientSettings

PYPI_URL = "https://pypi.org/pypi/coord/json"
CHECK_INTERVAL_SEC = 24 * 3600
FETCH_TIMEOUT_SEC = 1.0


def disabled(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if ClientSettings.load(env).no_update_check:
        return True
    return "PYTEST_CURRENT_TEST" in env or "pytest" in sys.modules


def cache_path(environ: dict[str, str] | None = None) -> Path:
    return ClientSettings.load(environ, read_file=False).home.expanduser() / "update-check.json"


def _numeric(version: str) -> tuple[int, ...] | None:
    parts = version.split(".")
    if not all(p.isdigit() for p in parts):
        return None  # pre-release or odd version: never announce it
    return tuple(int(p) for p in parts)


def is_newer(latest: str, current: str = __version__) -> bool:
    try:
        from packaging.version import InvalidVersion, Version

        try:
            new = Version(latest)
            return not new.is_prerelease and new > Version(current)
        except InvalidVersion:
            return False
    except ImportError:  # pragma: no cover - packaging is almost always there
        a, b = _numeric(latest), _numeric(current)
        return a is not None and b is not None and a > b


def read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_cache(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def fetch_latest(url: str = PYPI_URL, timeout: float = FETCH_TIMEOUT_SEC) -> str | None:
    try:
        import httpx

        response = httpx.get(url, timeout=timeout, follow_redirects=True)
        if response.status_code != 200:
            return None
        version = response.json().get("info", {}).get("version")
        return str(version) if version else None
    except Exception:  # noqa: BLE001 - offline or odd answer: stay silent
        return None


def _refresh(path: Path, url: str) -> None:
    latest = fetch_latest(url)
    data = read_cache(path)
    data["checked_at"] = time.time()
    if latest:
        data["latest"] = latest
    write_cache(path, data)


def notice_text(latest: str) -> str:
    return (
        f"coord {latest} is available (you have {__version__}): pip install -U coord "
        "(silence with COORD_NO_UPDATE_CHECK=1)"
    )


def maybe_notify(
    environ: dict[str, str] | None = None,
    now: float | None = None,
    url: str = PYPI_URL,
    start_thread: bool = True,
) -> str | None:
    """Print the notice from the cache (at most once per 24 h) and schedule a refresh
    in a daemon thread when the cache is stale. Returns the printed text, if any."""
    env = dict(os.environ if environ is None else environ)
    if disabled(env):
        return None
    now = time.time() if now is None else now
    path = cache_path(env)
    data = read_cache(path)
    printed = None
    latest = data.get("latest")
    if isinstance(latest, str) and is_newer(latest) and now - float(data.get("notified_at") or 0) >= CHECK_INTERVAL_SEC:
        printed = notice_text(latest)
        typer.echo(printed, err=True)
        data["notified_at"] = now
        write_cache(path, data)
    if now - float(data.get("checked_at") or 0) >= CHECK_INTERVAL_SEC and start_thread:
        thread = threading.Thread(target=_refresh, args=(path, url), name="coord-update-check", daemon=True)
        thread.start()
    return printed


def register(app: typer.Typer) -> None:
    """Run `maybe_notify()` before every command (hook entry points excepted: their
    output is read by git and editors)."""
    info = app.registered_callback
    if info is None or info.callback is None:
        return
    original = info.callback

    import functools

    @functools.wraps(original)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        argv = sys.argv[1:]
        if "hook" not in argv[:1] and "--version" not in argv:
            with contextlib.suppress(Exception):  # the notice never breaks a command
                maybe_notify()
        return original(*args, **kwargs)

    info.callback = wrapped
