"""What the real server writes to its log: requests, never a token."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.server import start_server

pytestmark = pytest.mark.integration

SECRET = "s3cret-token-never-logged"
WRONG = "wrong-token-never-logged"


def _exercise(url: str) -> None:
    good = {"Authorization": f"Bearer {SECRET}"}
    httpx.post(f"{url}/claims", headers=good, json={"engineer": "a", "claims": [{"pattern": "x.ts"}]}, timeout=10)
    httpx.get(f"{url}/claims", headers={"Authorization": f"Bearer {WRONG}"}, timeout=10)
    httpx.get(f"{url}/claims", params={"token": "not-a-param"}, headers=good, timeout=10)


@pytest.mark.parametrize("json_logs", [False, True])
def test_tokens_never_reach_the_log(tmp_path: Path, json_logs: bool) -> None:
    env = {"COORD_LOG_LEVEL": "info"}
    if json_logs:
        env["COORD_LOG_JSON"] = "1"
    server = start_server(tmp_path, env=env, token=SECRET)
    try:
        _exercise(server.url)
    finally:
        server.stop()
    log = server.log.read_text()
    assert "/claims" in log and "401" in log
    assert SECRET not in log and WRONG not in log
    if json_logs:
        entries = [json.loads(line) for line in log.splitlines() if line.strip()]
        assert {e["status"] for e in entries if e["logger"] == "uvicorn.access"} >= {200, 401}
