"""The dashboard in a real headless Chromium, driven over the Chrome DevTools protocol.

Starts the real server, creates claims over HTTP, then loads /dashboard, types the
token, clicks Show and reads the rendered table; a wrong token must show the
"check the token" message and no claims. A screenshot lands in tmp_path.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import Server, start_server

pytestmark = pytest.mark.integration

REPO = "example-org/example-app"
STARTUP_TIMEOUT_SEC = 30.0
WAIT_TIMEOUT_SEC = 15.0
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,800",
    "--remote-debugging-port=0",
)
DEVTOOLS_LINE = re.compile(r"DevTools listening on (ws://\S+)")


def chromium_binary() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
    if found is None:
        pytest.skip(
            "chromium is not installed (Debian: apt-get install -y chromium); the dashboard browser test needs it"
        )
    return found


class Cdp:
    """A minimal Chrome DevTools protocol client over the browser's websocket."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        msg_id = next(self._ids)
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + WAIT_TIMEOUT_SEC
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer to {method} within {WAIT_TIMEOUT_SEC}s")
            reply = json.loads(self._ws.recv(timeout=remaining))
            if reply.get("id") != msg_id:
                continue  # an event, or an answer to someone else: not ours
            if "error" in reply:
                raise RuntimeError(f"{method} failed: {reply['error']}")
            result: dict[str, Any] = reply.get("result", {})
            return result


class Page:
    """One tab in its own browser context (own sessionStorage), attached with a flat session."""

    def __init__(self, cdp: Cdp) -> None:
        self.cdp = cdp
        self.context = cdp.call("Target.createBrowserContext")["browserContextId"]
        target = cdp.call("Target.createTarget", {"url": "about:blank", "browserContextId": self.context})
        self.target = target["targetId"]
        self.session = cdp.call("Target.attachToTarget", {"targetId": self.target, "flatten": True})["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
        )

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.cdp.call(method, params, session=self.session)

    def close(self) -> None:
        self.cdp.call("Target.closeTarget", {"targetId": self.target})
        self.cdp.call("Target.disposeBrowserContext", {"browserContextId": self.context})

    def eval(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, what: str, check: Callable[[], Any]) -> Any:
        """Poll `check` until it returns something truthy; fail after WAIT_TIMEOUT_SEC."""
        deadline = time.monotonic() + WAIT_TIMEOUT_SEC
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; page text:\n{self.text()}")
            time.sleep(0.05)

    def text(self) -> str:
        return str(self.eval("document.body ? document.body.innerText : ''"))

    def open(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})
        self.wait_for(
            "the dashboard to load",
            lambda: self.eval("document.readyState === 'complete' && !!document.getElementById('save')"),
        )

    def type_into(self, element_id: str, text: str) -> None:
        """Focus the field, clear it, and type like a user (trusted input events)."""
        self.eval(
            f"(() => {{ const e = document.getElementById({json.dumps(element_id)}); e.focus(); e.select(); }})()"
        )
        self.call("Input.insertText", {"text": text})

    def click(self, element_id: str) -> None:
        """A real mouse click at the centre of the element."""
        box = self.eval(
            f"(() => {{ const r = document.getElementById({json.dumps(element_id)}).getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box["x"], "y": box["y"], "button": "left", "clickCount": 1},
            )

    def table_rows(self, body: str = "rows") -> list[list[str]]:
        rows = self.eval(
            f"Array.from(document.querySelectorAll('#{body} tr'))"
            ".map(tr => Array.from(tr.cells).map(td => td.textContent.trim()))"
        )
        return [list(r) for r in rows or []]

    def status(self) -> str:
        return str(self.eval("document.getElementById('status').textContent"))

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        path.write_bytes(base64.b64decode(data))


class Browser:
    def __init__(self, proc: subprocess.Popen[str], cdp: Cdp, stderr_tail: list[str]) -> None:
        self.proc = proc
        self.cdp = cdp
        self.stderr_tail = stderr_tail

    def new_page(self) -> Page:
        return Page(self.cdp)


def _drain(stream: Any, lines: queue.Queue[str], tail: list[str]) -> None:
    for line in stream:
        tail.append(line.rstrip())
        del tail[:-50]
        lines.put(line)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    binary = chromium_binary()
    pytest.importorskip("websockets", reason="the dashboard browser test needs the websockets package")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    proc = subprocess.Popen(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so the helpers it forks stop with it
    )
    lines: queue.Queue[str] = queue.Queue()
    tail: list[str] = []
    threading.Thread(target=_drain, args=(proc.stderr, lines, tail), daemon=True).start()
    try:
        ws_url = None
        deadline = time.monotonic() + STARTUP_TIMEOUT_SEC
        while ws_url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                raise RuntimeError("chromium did not start its DevTools endpoint:\n" + "\n".join(tail))
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            found = DEVTOOLS_LINE.search(line)
            ws_url = found.group(1) if found else None
        from websockets.sync.client import connect

        with connect(ws_url, max_size=None, open_timeout=STARTUP_TIMEOUT_SEC, proxy=None) as ws:
            yield Browser(proc, Cdp(ws), tail)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[str]) -> None:
    """Stop chromium and the helper processes it forked (its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path, token="dashboard-token")
    try:
        yield srv
    finally:
        srv.stop()


def _create_claims(server: Server) -> None:
    with server.client() as client:
        for body in (
            {
                "engineer": "alex/claude/main",
                "repo_id": REPO,
                "description": "touching auth module",
                "claims": [{"type": "file", "pattern": "src/auth/**"}],
            },
            {
                "engineer": "bob/codex/1",
                "repo_id": REPO,
                "claims": [{"type": "file", "pattern": "src/router.ts", "symbols": ["Router::handleAuth"]}],
            },
            {
                "engineer": "carol/cursor/2",
                "repo_id": "example-org/other-app",
                "claims": [{"type": "module", "pattern": "lib/payments"}],
            },
        ):
            response = client.post("/claims", json=body)
            assert response.status_code == 200, response.text


def test_dashboard_lists_active_claims(server: Server, browser: Browser, tmp_path: Path) -> None:
    _create_claims(server)
    page = browser.new_page()
    page.open(f"{server.url}/dashboard")
    assert "Enter the token" in page.text()

    page.type_into("token", server.token)
    page.click("save")
    rows = page.wait_for("the claims to be listed", lambda: [r for r in page.table_rows() if len(r) >= 6])

    by_engineer = {r[1]: r for r in rows}
    assert set(by_engineer) == {"alex/claude/main", "bob/codex/1", "carol/cursor/2"}
    assert by_engineer["alex/claude/main"][0] == REPO
    assert by_engineer["alex/claude/main"][3] == "src/auth/**"
    assert by_engineer["bob/codex/1"][3] == "src/router.ts [Router::handleAuth]"
    assert by_engineer["carol/cursor/2"][2] == "module"
    assert by_engineer["carol/cursor/2"][3] == "lib/payments/**"
    assert all(r[5].isdigit() for r in rows), rows  # the fencing token
    assert page.status().startswith("3 active")
    # The token is kept for the tab, never put in the URL.
    assert page.eval("sessionStorage.getItem('coordToken')") == server.token
    assert server.token not in page.eval("location.href")

    page.screenshot(tmp_path / "dashboard.png")
    assert (tmp_path / "dashboard.png").stat().st_size > 1000

    # The repo filter narrows the table to one repo.
    page.type_into("repo", REPO)
    page.click("save")
    page.wait_for(
        "the repo filter to apply",
        lambda: {r[1] for r in page.table_rows() if len(r) >= 6} == {"alex/claude/main", "bob/codex/1"},
    )

    page.screenshot(tmp_path / "dashboard-filtered.png")
    page.close()


def test_dashboard_wrong_token_says_check_the_token(server: Server, browser: Browser, tmp_path: Path) -> None:
    _create_claims(server)
    page = browser.new_page()
    page.open(f"{server.url}/dashboard")
    page.wait_for("the token prompt", lambda: "Enter the token" in page.text())
    assert "check the token" not in page.status()

    page.type_into("token", "not-the-token")
    page.click("save")
    page.wait_for("the token error", lambda: "check the token" in page.status())
    assert "401" in page.status()
    assert "not authorised" in page.text().lower()
    assert not _listed_engineers(page)
    page.screenshot(tmp_path / "dashboard-wrong-token.png")

    # Right token: the claims appear; wrong again: they are taken off the screen.
    page.type_into("token", server.token)
    page.click("save")
    page.wait_for("the claims to be listed", lambda: len(_listed_engineers(page)) == 3)
    page.type_into("token", "still-not-the-token")
    page.click("save")
    page.wait_for("the claims to be hidden", lambda: "check the token" in page.status() and not _listed_engineers(page))
    page.close()


def _listed_engineers(page: Page) -> set[str]:
    return {r[1] for r in page.table_rows() if len(r) >= 6}


def test_dashboard_panels_show_queue_hotspots_and_resolutions(server: Server, browser: Browser, tmp_path: Path) -> None:
    _create_claims(server)
    with server.client() as client:
        beside = {"type": "file", "pattern": "src/router.ts", "symbols": ["Router::handleLogout"]}
        assert client.post("/claims", json={"engineer": "dan/claude/1", "repo_id": REPO, "claims": [beside]}).is_success
        refused = {"engineer": "erin/codex/1", "repo_id": REPO, "claims": [{"pattern": "src/auth/login.ts"}]}
        for _ in range(3):
            assert client.post("/claims", json=refused).status_code == 409
    waiting = {**refused, "claims": [{"pattern": "src/auth/session.ts"}], "wait_seconds": 60, "urgency": "high"}
    answer: dict[str, int] = {}

    def wait_in_line() -> None:
        with server.client() as waiter:
            answer["status"] = waiter.post("/claims", json=waiting).status_code

    thread = threading.Thread(target=wait_in_line)
    thread.start()
    try:
        page = browser.new_page()
        page.open(f"{server.url}/dashboard")
        page.type_into("token", server.token)
        page.click("save")
        queue = page.wait_for(
            "the waiter in the queue panel", lambda: [r for r in page.table_rows("queue") if len(r) == 5]
        )
        assert queue[0][2] == "erin/codex/1 (high)" and queue[0][3] == "src/auth/session.ts"
        assert "alex/claude/main src/auth/**" in queue[0][4]
        spots = page.wait_for("the hotspot row", lambda: [r for r in page.table_rows("hotspots") if len(r) == 4])
        assert [REPO, "src/auth/login.ts", "3", "monitor"] in spots
        resolutions = page.wait_for(
            "the auto-resolution row", lambda: [r for r in page.table_rows("resolutions") if len(r) == 4]
        )
        assert resolutions[0][:3] == [REPO, "1", "0"]
        assert "Webhooks are off" in page.table_rows("webhooks")[0][0]
        page.screenshot(tmp_path / "dashboard-panels.png")
        page.close()
    finally:
        with server.client() as client:
            client.post("/claims/release", json={"repo_id": REPO, "engineer": "alex/claude/main"})
        thread.join(timeout=30)
    assert answer == {"status": 200}
