"""GET /metrics/webhooks over HTTP, and the webhook settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from coordination.api.app import create_app
from tests.conftest import make_settings

AUTH = {"Authorization": "Bearer test-token"}


def test_metrics_webhooks_counts_the_outbox(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, webhook_url="http://127.0.0.1:9/hook", webhook_secret="x")
    with TestClient(create_app(settings)) as client:
        body = {"engineer": "alex/claude/1", "claims": [{"pattern": "src/a.py"}]}
        assert client.post("/claims", json=body, headers=AUTH).status_code == 200
        resp = client.get("/metrics/webhooks", headers=AUTH)
        assert resp.status_code == 200
        out = resp.json()
        assert out["enabled"] is True and out["hours"] == 24
        assert out["events"] == {"claim_granted": {"delivered": 0, "pending": 1, "exhausted": 0}}
        assert out["totals"] == {"delivered": 0, "pending": 1, "exhausted": 0}
        for bad in ("0", "169", "x"):
            resp = client.get("/metrics/webhooks", params={"hours": bad}, headers=AUTH)
            assert resp.status_code == 400, resp.text
        assert client.get("/metrics/webhooks").status_code == 401


def test_metrics_webhooks_without_a_url(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        out = client.get("/metrics/webhooks", params={"hours": 1}, headers=AUTH).json()
        assert out["enabled"] is False and out["events"] == {}


@pytest.mark.parametrize(
    "overrides",
    [{"webhook_events": "claim_granted,nope"}, {"webhook_url": "ftp://example.com"}, {"webhook_max_retries": 0}],
)
def test_bad_webhook_settings_are_refused(tmp_path: Path, overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_settings(tmp_path, **overrides)


def test_blank_webhook_url_means_disabled(tmp_path: Path) -> None:
    assert make_settings(tmp_path, webhook_url="  ").webhook_url is None
