from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from coordination.cli import update_notice as un

DAY = 24 * 3600


def env_for(home: Path) -> dict[str, str]:
    return {"COORD_HOME": str(home)}


def test_disabled_by_env_and_under_pytest(tmp_path: Path) -> None:
    assert un.disabled({"COORD_NO_UPDATE_CHECK": "1"})
    assert un.disabled({"COORD_NO_UPDATE_CHECK": "true"})
    assert un.disabled({})  # pytest is imported in this process
    assert un.maybe_notify({"COORD_NO_UPDATE_CHECK": "1", "COORD_HOME": str(tmp_path)}) is None


def test_version_compare() -> None:
    assert un.is_newer("0.2.0", "0.1.0")
    assert un.is_newer("0.10.0", "0.9.9")
    assert not un.is_newer("0.1.0", "0.1.0")
    assert not un.is_newer("0.1.0rc1", "0.1.0")


def test_notice_from_cache_once_per_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(un, "disabled", lambda env=None: False)
    path = un.cache_path(env_for(tmp_path))
    now = time.time()
    un.write_cache(path, {"latest": "99.0.0", "checked_at": now})
    text = un.maybe_notify(env_for(tmp_path), now=now, start_thread=False)
    assert text is not None and "99.0.0" in text
    assert "99.0.0" in capsys.readouterr().err
    assert un.maybe_notify(env_for(tmp_path), now=now + 60, start_thread=False) is None
    assert un.maybe_notify(env_for(tmp_path), now=now + DAY + 1, start_thread=False) is not None


def test_no_notice_when_current(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(un, "disabled", lambda env=None: False)
    path = un.cache_path(env_for(tmp_path))
    un.write_cache(path, {"latest": un.__version__, "checked_at": time.time()})
    assert un.maybe_notify(env_for(tmp_path), start_thread=False) is None


class _PyPI(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"info": {"version": "42.0.0"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_stale_cache_refreshes_in_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(un, "disabled", lambda env=None: False)
    server = HTTPServer(("127.0.0.1", 0), _PyPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/pypi/coord/json"
    try:
        started = time.monotonic()
        assert un.maybe_notify(env_for(tmp_path), url=url) is None  # nothing cached yet
        assert time.monotonic() - started < 0.5  # never waits for the network
        path = un.cache_path(env_for(tmp_path))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "latest" not in un.read_cache(path):
            time.sleep(0.02)
        assert un.read_cache(path)["latest"] == "42.0.0"
    finally:
        server.shutdown()


def test_offline_is_silent(tmp_path: Path) -> None:
    assert un.fetch_latest("http://127.0.0.1:9/pypi/coord/json", timeout=0.5) is None
