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

pytestmark = [pytest.mark.integration, pytest.mark.slow]

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

    def resize(self, width: int, height: int = 900, mobile: bool = False) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

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
            f"(() => {{ const e = document.getElementById({json.dumps(element_id)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
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


LONG_DIR = "services/billing/internal/adapters/payment-providers/stripe/webhooks/handlers/v2"


def _busy_repo(server: Server) -> None:
    """Realistic data: long paths and names, symbols, a shared file, hotspots and refusals."""
    with server.client() as client:
        for body in (
            {"engineer": "alex/claude/main", "claims": [{"pattern": f"{LONG_DIR}/**"}]},
            {
                "engineer": "bob-the-very-long-engineer-name/codex/feature-branch-with-a-long-name",
                "claims": [
                    {
                        "pattern": f"{LONG_DIR.replace('billing', 'ledger')}/reconciliation_engine_controller.ts",
                        "symbols": ["ReconciliationEngineController::handleExtremelyLongMethodNameForTesting"],
                    }
                ],
            },
            {"engineer": "carol/cursor/2", "claims": [{"type": "shared_file", "pattern": "package-lock.json"}]},
            {"engineer": "dan/claude/7", "claims": [{"type": "shared_file", "pattern": "package-lock.json"}]},
            {"engineer": "erin/codex/1", "claims": [{"pattern": "src/app/shell.tsx"}]},
        ):
            assert client.post("/claims", json={"repo_id": REPO, **body}).status_code == 200
        refused = {"engineer": "frank/claude/3", "repo_id": REPO, "claims": [{"pattern": "src/app/shell.tsx"}]}
        for _ in range(10):
            assert client.post("/claims", json=refused).status_code == 409
        deep = {"engineer": "gina/codex/4", "repo_id": REPO, "claims": [{"pattern": f"{LONG_DIR}/stripe_event.ts"}]}
        for _ in range(4):
            assert client.post("/claims", json=deep).status_code == 409


LAYOUT_PROBLEMS = """(() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    problems.push("page scrolls sideways: " + doc.scrollWidth + " > " + window.innerWidth);
  const panels = Array.from(document.querySelectorAll("header, section"));
  const boxes = panels.map((p) => p.getBoundingClientRect());
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
      problems.push("panels overlap: " + panels[i].querySelector("h1,h2").textContent
        + " / " + panels[j].querySelector("h1,h2").textContent);
  }
  panels.forEach((panel, i) => {
    const box = boxes[i];
    for (const e of panel.querySelectorAll("*")) {
      // Inside a clipping or scrolling container the container is what must fit.
      let clipped = false;
      for (let up = e.parentElement; up && up !== panel; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== "visible") { clipped = true; break; }
      }
      if (clipped) continue;
      const r = e.getBoundingClientRect();
      if (!r.width && !r.height) continue;
      if (r.right > box.right + 1 || r.left < box.left - 1)
        problems.push("spills out of its panel: <" + e.tagName.toLowerCase() + "> "
          + (e.textContent || "").slice(0, 60));
    }
  });
  return problems;
})()"""


@pytest.mark.parametrize(("width", "mobile"), [(1280, False), (1440, False), (1920, False), (390, True)])
def test_dashboard_layout_never_spills_or_overlaps(
    server: Server, browser: Browser, tmp_path: Path, width: int, mobile: bool
) -> None:
    _busy_repo(server)
    page = browser.new_page()
    page.resize(width, 900, mobile)
    page.open(f"{server.url}/dashboard")
    page.type_into("token", server.token)
    page.click("save")
    page.wait_for("the claims", lambda: len(_listed_engineers(page)) == 5)
    page.wait_for("the hotspots", lambda: len([r for r in page.table_rows("hotspots") if len(r) == 4]) == 2)
    problems = page.eval(LAYOUT_PROBLEMS)
    page.screenshot(tmp_path / f"dashboard-{width}.png")
    assert problems == [], problems
    # Cut text keeps its full value on hover.
    titles = page.eval("Array.from(document.querySelectorAll('#rows td')).map(td => td.title)")
    assert f"{LONG_DIR}/**" in titles
    page.close()


def test_a_claim_appears_live_without_a_reload(server: Server, browser: Browser, tmp_path: Path) -> None:
    page = browser.new_page()
    page.open(f"{server.url}/dashboard")
    page.type_into("token", server.token)
    page.click("save")
    page.wait_for("the empty table", lambda: "No active claims" in page.text())
    page.wait_for("the live stream", lambda: page.eval("document.getElementById('live').textContent") == "live")
    page.eval("window.__sameDocument = true")
    with server.client() as client:
        started = time.monotonic()
        body = {"engineer": "zoe/claude/9", "repo_id": REPO, "claims": [{"pattern": "src/live.ts"}]}
        assert client.post("/claims", json=body).status_code == 200
    page.wait_for("the pushed claim", lambda: "zoe/claude/9" in _listed_engineers(page))
    elapsed = time.monotonic() - started
    print(f"pushed claim shown after {elapsed:.3f}s")
    assert page.eval("window.__sameDocument === true"), "the page was reloaded"
    # Pushed, not polled: the fallback poll is off while the stream is live, and its slow tick is 30 s.
    assert elapsed < 3.0, f"the claim took {elapsed:.2f}s to appear"
    # The tree shows the holder on the file's node.
    assert "zoe/claude/9" in page.eval("document.getElementById('tree').textContent")
    # A release is pushed the same way.
    with server.client() as client:
        assert client.post("/claims/release", json={"repo_id": REPO, "engineer": "zoe/claude/9"}).is_success
    page.wait_for("the release to show", lambda: "zoe/claude/9" not in _listed_engineers(page))
    page.screenshot(tmp_path / "dashboard-live.png")
    page.close()


def test_engineer_filter_tree_and_hotspot_button(server: Server, browser: Browser, tmp_path: Path) -> None:
    _busy_repo(server)
    page = browser.new_page()
    page.open(f"{server.url}/dashboard")
    page.type_into("token", server.token)
    page.type_into("engineer", "alex")
    page.click("save")
    page.wait_for("the filter", lambda: _listed_engineers(page) == {"alex/claude/main"})
    tree = page.eval("document.getElementById('tree').textContent")
    assert "alex/claude/main" in tree and "erin/codex/1" not in tree and "handlers/" in tree
    page.type_into("engineer", "")
    page.click("save")
    page.wait_for("everyone", lambda: len(_listed_engineers(page)) == 5)
    tree = page.eval("document.getElementById('tree').textContent")
    assert "ReconciliationEngineController::handleExtremelyLongMethodNameForTesting" in tree
    assert "shared" in tree and "exclusive" in tree
    # The hot file's suggested action has a button that writes the rule.
    page.wait_for("the promote button", lambda: page.eval("!!document.querySelector('#hotspots button')"))
    page.eval("document.querySelector('#hotspots button').id = 'promote-shell'")
    page.click("promote-shell")
    page.wait_for("the promotion", lambda: "rule written" in page.status())
    with server.client() as client:
        rules = client.get("/config/ownership", params={"repo_id": REPO}).json()
    assert "src/app/shell.tsx" in json.dumps(rules)
    page.close()
