"""`/mcp` mounted in the app: the SDK's session manager runs inside the app's lifespan."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coordination.api.app import create_app
from tests.conftest import migrated_settings

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
AUTH = {"Authorization": "Bearer test-token"}


def test_one_app_can_run_its_lifespan_twice(tmp_path: Path) -> None:
    app = create_app(migrated_settings(tmp_path))
    for _ in range(2):
        with TestClient(app) as client:
            resp = client.post("/mcp", json=INITIALIZE, headers={**MCP, **AUTH})
            assert resp.status_code == 200, resp.text
            assert '"serverInfo"' in resp.text and '"coord"' in resp.text


def test_the_token_is_checked_before_mcp(tmp_path: Path) -> None:
    with TestClient(create_app(migrated_settings(tmp_path))) as client:
        resp = client.post("/mcp", json=INITIALIZE, headers=MCP)
        assert resp.status_code == 401
        assert resp.json() == {
            "error": "unauthorized",
            "detail": "missing bearer token: send 'Authorization: Bearer <COORD_AUTH_TOKEN>'",
        }
        assert "/mcp" not in client.get("/openapi.json", headers=AUTH).json()["paths"]


def test_without_a_token_only_local_hosts_are_answered(tmp_path: Path) -> None:
    settings = migrated_settings(tmp_path, auth_token=None, allow_insecure_no_auth=True)
    with TestClient(create_app(settings)) as client:
        rebound = client.post("/mcp", json=INITIALIZE, headers={**MCP, "Host": "evil.example"})
        assert rebound.status_code in (403, 421), rebound.text
        local = client.post("/mcp", json=INITIALIZE, headers={**MCP, "Host": "127.0.0.1:8080"})
        assert local.status_code == 200, local.text


def test_with_a_token_any_host_is_answered(tmp_path: Path) -> None:
    with TestClient(create_app(migrated_settings(tmp_path))) as client:
        resp = client.post("/mcp", json=INITIALIZE, headers={**MCP, **AUTH, "Host": "coord.example.com"})
        assert resp.status_code == 200, resp.text


@pytest.mark.integration  # a fresh interpreter starts the app
def test_the_mcp_sdk_is_loaded_on_the_first_mcp_request_not_at_start(tmp_path: Path) -> None:
    """Half of a start's CPU is the SDK: a service nobody reaches over /mcp never loads it."""
    import subprocess
    import sys

    settings = migrated_settings(tmp_path)
    script = f"""
import sys
from fastapi.testclient import TestClient
from coordination.api.app import create_app
from coordination.config import Settings
app = create_app(Settings(database_path={str(settings.database_path)!r}, auth_token="test-token",
                          disable_background_cleanup=True, disable_instance_lock=True))
with TestClient(app) as client:
    assert client.get("/readyz").status_code == 200
    assert "mcp" not in sys.modules, "the MCP SDK was imported before anyone asked for /mcp"
    resp = client.post("/mcp", json={INITIALIZE!r}, headers={{**{MCP!r}, **{AUTH!r}}})
    assert resp.status_code == 200, resp.text
    assert "mcp" in sys.modules
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]
