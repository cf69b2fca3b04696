"""What a `coord` start imports: the real console script in a subprocess, run by a small
wrapper that writes down `sys.modules` when the process exits.

Agents, editor hooks and the test suite start `coord` many times a minute and nearly all
of a start is imports, so each command imports only what it uses: no server settings
(`coordination.config`) outside `coord start`/`stop`/`status`, no rich unless a table or a
styled line is printed, no glob engine (wcmatch) outside the ownership commands, nothing
of the server (FastAPI, SQLAlchemy), and the edit gate nothing but the standard library.
No timing here: the modules are what a start costs, and they do not depend on the machine.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # runs the console script

SCRIPT = Path(sys.executable).parent / "coord"
# The console script's own text, for a tree where the package is not installed.
ENTRY = "import sys\nfrom coordination.cli.entry import main\nsys.exit(main())\n"
# `python -c WRAPPER OUT SCRIPT ARGS...`: run SCRIPT as `__main__`, then write the names of the
# modules loaded at exit to OUT (a None entry blocks an import: it is not a loaded module).
WRAPPER = """\
import atexit, runpy, sys
out = sys.argv.pop(1)
def dump():
    with open(out, "w") as f:
        f.write("\\n".join(name for name, module in list(sys.modules.items()) if module is not None))
atexit.register(dump)
del sys.argv[0]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

SERVER = {"fastapi", "starlette", "sqlalchemy", "uvicorn", "alembic", "coordination.api.app", "coordination.store"}
GLOBS = {"wcmatch", "bracex", "coordination.core.globs", "coordination.ownership_yaml", "ruamel.yaml"}
RICH = {"rich", "rich.console", "rich.markup", "rich.table"}
# httpx imports its own command-line client (click, pygments, rich) when those are installed.
HTTPX_CLI = {"httpx._main", "click", "pygments"}
COMMAND_MODULES = {f"coordination.cli.{m}" for m in ("claims_cmds", "server_cmds", "doctor_cmd", "ownership_cmds")}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _imported(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Run `coord ARGS` in `tmp_path` (no local.env above it) and return the modules it imported."""
    script = SCRIPT
    if not script.exists():
        script = tmp_path / "coord"
        script.write_text(ENTRY)
    listing = tmp_path / "modules.txt"
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    outside = ("PYTEST_CURRENT_TEST", "CLAUDE_PROJECT_DIR")  # a project dir would name another local.env
    base = {k: v for k, v in os.environ.items() if not k.startswith("COORD_") and k not in outside}
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(listing), str(script), *args],
        cwd=tmp_path,
        env={
            **base,
            "HOME": str(home),
            "COORD_HOME": str(home / ".coord"),
            "COORD_NO_UPDATE_CHECK": "1",
            "COORD_AUTH_TOKEN": "start-imports-token",
            "COORD_REPO_ID": "acme/app",
            "COORD_ENGINEER": "alex/claude/main",
            **(env or {}),
        },
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listing.exists(), proc.stderr[-2000:]
    modules = set(listing.read_text().split())
    assert "coordination.cli.entry" in modules, proc.stderr[-2000:]
    return modules, proc


@pytest.fixture
def service() -> Iterator[str]:
    """A stand-in for the service: `GET /claims` answers an empty page, as the API does."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            body = json.dumps({"claims": [], "next_cursor": None}).encode()
            self.send_response(200 if self.path.startswith("/claims") else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the signature http.server calls
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_version_imports_no_command_and_no_client(tmp_path: Path) -> None:
    modules, proc = _imported(tmp_path, "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("coord ")
    heavy = {"coordination.config", "pydantic", "pydantic_settings", "httpx", *RICH, *GLOBS, *SERVER}
    assert modules & (heavy | COMMAND_MODULES) == set()


def test_a_claim_that_cannot_reach_the_service(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    modules, proc = _imported(tmp_path, "claim", "src/a.py", env={"COORD_API_URL": url})
    assert proc.returncode == 1 and "cannot reach coord" in proc.stderr
    # The error line is styled (rich.console); no table, no API schemas without --json.
    heavy = {"coordination.config", "rich.table", "coordination.api.schemas", *GLOBS, *HTTPX_CLI, *SERVER}
    assert modules & heavy == set()


def test_json_answers_import_no_rich(tmp_path: Path, service: str) -> None:
    modules, proc = _imported(tmp_path, "ls", "--json", env={"COORD_API_URL": service})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == {"claims": [], "next_cursor": None}
    # The answer is checked against the API's schema, which needs no glob engine.
    assert "coordination.api.schemas" in modules
    assert modules & {"coordination.config", *RICH, *GLOBS, *HTTPX_CLI, *SERVER} == set()


def test_a_table_imports_rich_but_nothing_of_the_server(tmp_path: Path, service: str) -> None:
    modules, proc = _imported(tmp_path, "ls", env={"COORD_API_URL": service})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "rich.table" in modules  # the check above would pass if rich were never needed
    assert modules & {"coordination.config", "coordination.api.schemas", *GLOBS, *HTTPX_CLI, *SERVER} == set()


def test_status_prints_plain_lines_without_rich(tmp_path: Path) -> None:
    modules, proc = _imported(tmp_path, "status")
    assert proc.returncode == 1 and "coord is not running" in proc.stdout
    assert modules & {*RICH, *GLOBS, *HTTPX_CLI, *SERVER, "coordination.client"} == set()


def test_the_edit_gate_entry_imports_only_the_standard_library(tmp_path: Path) -> None:
    (tmp_path / ".coordination").mkdir()
    (tmp_path / ".coordination" / "local.env").write_text(
        f"COORD_API_URL=http://127.0.0.1:{_closed_port()}\nCOORD_PERSON=al\n"
    )
    payload = {"tool_name": "Edit", "tool_input": {"file_path": "src/a.py"}, "cwd": str(tmp_path)}
    modules, proc = _imported(tmp_path, "hook", "claude-pre-tool-use", stdin=json.dumps(payload))
    assert "coord unreachable" in proc.stderr  # the whole path ran, up to the HTTP call
    third_party = {m for m in modules if m.split(".")[0] in {"typer", "click", "pydantic", "httpx", "rich", "anyio"}}
    assert third_party == set()
    assert modules & {"coordination.cli.app", "coordination.client_settings", "coordination.config"} == set()
