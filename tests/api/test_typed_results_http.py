"""The typed service results (reports, ownership, audit events) answer the JSON they answered as dicts.

Each expected body below was captured from these routes when the service still returned
`dict[str, Any]` (same scripted run, same clock): the answers must stay byte-for-byte the same.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coordination.service import AuditEntry, ClaimService
from tests.conftest import FakeClock

REPO = "org/app"
PROMOTED = (
    "# ours\nowners:\n  - pattern: src/**\n    owners: [ana, bo]\n"
    "shared_files:\n  - src/router.ts  # coord-promoted=2026-11-29\n"
)

# (method, path, body, Link header, the JSON answered before the results were typed), in call order.
CALLS: list[tuple[str, str, dict[str, Any] | None, str | None, Any]] = [
    (
        "get",
        "/metrics/hotspots?days=3",
        None,
        None,
        {
            "days": 3,
            "since": "2026-11-27",
            "until": "2026-11-29",
            "thresholds": {"shared_file": 10, "split": 10, "monitor": 3},
            "repos": {
                "org/app": [
                    {
                        "pattern": "src/router.ts",
                        "attempts": 3,
                        "engineers": 3,
                        "last_attempt_at": "2026-11-29T12:03:00Z",
                        "suggested_action": "monitor",
                    }
                ]
            },
        },
    ),
    (
        "get",
        "/metrics/auto-resolutions?days=2",
        None,
        None,
        {
            "days": 2,
            "since": "2026-11-28",
            "until": "2026-11-29",
            "repos": {
                "org/app": [
                    {"date": "2026-11-28", "auto_coexist": 0, "auto_narrow": 0},
                    {"date": "2026-11-29", "auto_coexist": 1, "auto_narrow": 0},
                ]
            },
        },
    ),
    (
        "get",
        "/metrics/webhooks?hours=2",
        None,
        None,
        {
            "enabled": False,
            "hours": 2,
            "since": "2026-11-29T10:03:00Z",
            "events": {},
            "totals": {"delivered": 0, "pending": 0, "exhausted": 0},
        },
    ),
    (
        "post",
        "/config/ownership",
        {"repo_id": "org/app", "yaml": "# ours\nowners:\n  - pattern: src/**\n    owners: [ana, bo]\n"},
        None,
        {
            "repo_id": "org/app",
            "yaml": "# ours\nowners:\n  - pattern: src/**\n    owners: [ana, bo]\n",
            "owners": [{"pattern": "src/**", "owners": ["ana", "bo"]}],
            "shared_files": [],
            "managed": {"kept": [], "dropped": []},
        },
    ),
    (
        "post",
        "/metrics/hotspots/promote",
        {"repo_id": "org/app", "action": "shared_file", "pattern": "src/router.ts"},
        None,
        {
            "repo_id": "org/app",
            "action": "shared_file",
            "pattern": "src/router.ts",
            "changed": True,
            "detail": "src/router.ts added to shared_files",
            "yaml": PROMOTED,
        },
    ),
    (
        "post",
        "/metrics/hotspots/promote",
        {"repo_id": "org/app", "action": "shared_file", "pattern": "src/router.ts"},
        None,
        {
            "repo_id": "org/app",
            "action": "shared_file",
            "pattern": "src/router.ts",
            "changed": False,
            "detail": "src/router.ts already listed in shared_files",
            "yaml": PROMOTED,
        },
    ),
    (
        "post",
        "/config/ownership",
        {"repo_id": "org/app", "yaml": "owners: []\n"},
        None,
        {
            "repo_id": "org/app",
            "yaml": "owners: []\nshared_files:\n- src/router.ts  # coord-promoted=2026-11-29\n",
            "owners": [],
            "shared_files": ["src/router.ts"],
            "managed": {
                "kept": [{"key": "shared_files", "pattern": "src/router.ts", "mark": "coord-promoted=2026-11-29"}],
                "dropped": [],
            },
        },
    ),
    (
        "get",
        "/config/ownership?repo_id=org/app",
        None,
        None,
        {
            "repo_id": "org/app",
            "yaml": "owners: []\nshared_files:\n- src/router.ts  # coord-promoted=2026-11-29\n",
            "owners": [],
            "shared_files": ["src/router.ts"],
            "managed": None,
        },
    ),
    (
        "get",
        "/events?limit=2",
        None,
        '</events?limit=2&cursor=djE6Mg>; rel="next"',
        {
            "events": [
                {
                    "id": 1,
                    "repo_id": "org/app",
                    "event_type": "grant",
                    "engineer": "carol/cursor/1",
                    "claim_id": 1,
                    "pattern": "src/**",
                    "detail": {"type": "file", "symbols": [], "fence": 1},
                    "created_at": "2026-11-29T12:00:00Z",
                },
                {
                    "id": 2,
                    "repo_id": "org/app",
                    "event_type": "conflict",
                    "engineer": "alex/claude/0",
                    "claim_id": None,
                    "pattern": "src/router.ts",
                    "detail": {"blocking": [1]},
                    "created_at": "2026-11-29T12:01:00Z",
                },
            ],
            "next_cursor": "djE6Mg",
        },
    ),
]


@pytest.fixture
def api(clocked_client: TestClient) -> TestClient:
    return clocked_client


def claim(api: TestClient, engineer: str, pattern: str, symbols: list[str] | None = None) -> None:
    item: dict[str, Any] = {"type": "file", "pattern": pattern}
    if symbols:
        item["symbols"] = symbols
    api.post("/claims", json={"engineer": engineer, "repo_id": REPO, "claims": [item]})


@pytest.mark.parametrize(
    "route",
    [
        "GET /metrics/hotspots",
        "GET /metrics/auto-resolutions",
        "GET /metrics/webhooks",
        "POST /config/ownership",
        "POST /metrics/hotspots/promote",
        "GET /config/ownership",
        "GET /events",
    ],
)
def test_the_answer_is_byte_for_byte_what_it_was(api: TestClient, clock: FakeClock, route: str) -> None:
    claim(api, "carol/cursor/1", "src/**")
    for i in range(3):  # refused: a hotspot
        clock.advance(minutes=1)
        claim(api, f"alex/claude/{i}", "src/router.ts")
    claim(api, "carol/cursor/1", "lib/r.ts", ["Router::a"])
    claim(api, "bob/codex/1", "lib/r.ts", ["Router::b"])  # auto-coexist
    checked = 0
    for method, path, body, link, expected in CALLS:  # every call runs: later answers depend on earlier ones
        resp = getattr(api, method)(path, **({"json": body} if body is not None else {}))
        assert resp.status_code == 200, (path, resp.text)
        if f"{method.upper()} {path.partition('?')[0]}" == route:
            assert resp.content == json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode(), path
            assert resp.headers.get("link") == link, path
            checked += 1
    assert checked


def test_the_event_stream_sends_each_event_as_the_list_shows_it(api: TestClient) -> None:
    claim(api, "carol/cursor/1", "src/**")
    claim(api, "alex/claude/1", "src/router.ts")
    service: ClaimService = api.app.state.service  # type: ignore[attr-defined]
    entries = service.events()
    assert entries and all(isinstance(e, AuditEntry) for e in entries)
    # `/events/stream` sends `json.dumps(entry.as_json())` per event: the list's items, byte for byte.
    items = ",".join(json.dumps(e.as_json(), separators=(",", ":")) for e in entries)
    assert api.get("/events").content == f'{{"events":[{items}],"next_cursor":null}}'.encode()


def test_claim_and_release_answer_the_bytes_fastapi_would_serialize(api: TestClient) -> None:
    """`POST /claims` and `DELETE /claims/{id}` hand FastAPI their finished JSON (`api.responses`):
    the same compact UTF-8 document FastAPI writes for a `response_model`, with its content type."""
    resp = api.post(
        "/claims",
        json={
            "engineer": "zoe/claude/1",
            "repo_id": REPO,
            "description": "café ✓",
            "claims": [{"type": "file", "pattern": "src/cafe.ts"}],
        },
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert resp.content == json.dumps(resp.json(), separators=(",", ":"), ensure_ascii=False).encode()
    assert resp.json()["claims"][0]["description"] == "café ✓"
    released = api.delete(f"/claims/{resp.json()['claims'][0]['id']}", params={"engineer": "zoe/claude/1"})
    assert released.status_code == 200
    assert released.headers["content-type"] == "application/json"
    assert released.content == b'{"released":[%d]}' % resp.json()["claims"][0]["id"]
