"""What `coord start` remembers in COORD_HOME about the local service, and who its process is.

`COORD_HOME/state.json` (mode 0600) holds:

- `url`, `host`, `port`: where the local service was last started successfully;
  kept after `coord stop`, so `coord status`, `coord doctor`, `coord init --mode local`
  and the next `coord start` use the same port;
- `server`: the process `coord start` launched, while it runs: its `pid`, its
  start marker (`started`: the kernel's start time of that pid, so a pid reused by
  another program is told apart) and the `instance` nonce it reports on `/readyz`.

Standard library only: the editor hooks and `coord init` read it too.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FILE = "state.json"
LEGACY_URL_FILE = "url"
LEGACY_PID_FILE = "server.pid"
#: How the server process shows up in its command line (`python -m coordination.cli.api_server`).
SERVER_MODULE = "coordination.cli.api_server"


@dataclass(frozen=True)
class ServerRecord:
    pid: int
    started: str | None
    instance: str | None
    url: str | None


def read_state(home: Path) -> dict[str, Any]:
    try:
        data = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return data if isinstance(data, dict) else {}


def write_state(home: Path, state: dict[str, Any]) -> None:
    """Replace the state file atomically, readable by the owner only."""
    path = home / STATE_FILE
    tmp = home / f".{STATE_FILE}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def update_state(home: Path, **changes: Any) -> dict[str, Any]:
    """Set (or, with None, remove) top-level keys of the state file."""
    state = read_state(home)
    for key, value in changes.items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
    write_state(home, state)
    return state


def remembered_url(home: Path) -> str | None:
    """The URL of the last successful `coord start` (None if it never ran)."""
    url = read_state(home).get("url")
    if isinstance(url, str) and url:
        return url
    with contextlib.suppress(OSError):
        legacy = (home / LEGACY_URL_FILE).read_text().strip()
        if legacy:
            return legacy
    return None


def server_record(home: Path) -> ServerRecord | None:
    """The process `coord start` launched, as recorded (it may have died since)."""
    server = read_state(home).get("server")
    if isinstance(server, dict) and isinstance(server.get("pid"), int):
        return ServerRecord(
            pid=server["pid"],
            started=server.get("started"),
            instance=server.get("instance"),
            url=server.get("url"),
        )
    with contextlib.suppress(OSError, ValueError):
        # Written by older versions: a bare pid, nothing to tell a reused pid apart but its command line.
        return ServerRecord(int((home / LEGACY_PID_FILE).read_text().strip()), None, None, None)
    return None


def forget_server(home: Path) -> None:
    update_state(home, server=None)
    (home / LEGACY_PID_FILE).unlink(missing_ok=True)


# ---------------------------------------------------------------- processes


def _proc_available() -> bool:
    return Path("/proc/self/stat").exists()


def process_started(pid: int) -> str | None:
    """An opaque marker of when process `pid` started (None if there is no such live process)."""
    if _proc_available():
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = text.rpartition(")")[2].split()
        # fields[0] is the state (field 3 of proc(5)); the start time is field 22.
        if not fields or fields[0] in ("Z", "X") or len(fields) < 20:
            return None
        return f"proc:{fields[19]}"
    out = _ps(pid, "lstart=")
    return f"ps:{out}" if out else None


def process_command(pid: int) -> str | None:
    """The command line of process `pid`, space-separated (None if unknown)."""
    if _proc_available():
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return raw.replace(b"\0", b" ").decode(errors="replace").strip() or None
    return _ps(pid, "command=")


def _ps(pid: int, column: str) -> str | None:
    try:
        out = subprocess.run(
            ["ps", "-p", str(pid), "-o", column], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def is_our_server(record: ServerRecord) -> bool:
    """True when `record.pid` is still the coord server `coord start` launched (never some later process)."""
    started = process_started(record.pid)
    if started is None:
        return False
    if record.started is not None and started != record.started:
        return False
    command = process_command(record.pid) or ""
    return SERVER_MODULE in command or "coord-api" in command
