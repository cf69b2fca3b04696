"""The edit gate's routes over HTTP, on both stores: /gate/edit, /gate/written,
/gate/session, and the server's same-person answer in /claims/verify."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coordination.api.app import create_app
from tests.conftest import make_settings
from tests.support.invariant import assert_server_exclusive

AUTH = {"Authorization": "Bearer test-token"}
REPO = "acme/app"


@pytest.fixture
def api(tmp_path: Path, backend: dict[str, object]) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, webhook_url="http://127.0.0.1:9/hook", **backend)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        c.headers.update(AUTH)
        yield c


def edit(api: TestClient, engineer: str, *paths: str, **extra: Any) -> dict[str, Any]:
    body = {"engineer": engineer, "repo_id": REPO, "paths": list(paths), **extra}
    resp = api.post("/gate/edit", json=body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_edit_claims_free_denies_held_allows_same_person(api: TestClient) -> None:
    first = edit(api, "bob/claude/main", "src/a.py", session_id="s-bob")
    assert first["decision"] == "allow" and [c["pattern"] for c in first["claimed"]] == ["src/a.py"]
    assert first["claimed"][0]["session_id"] == "s-bob"

    denied = edit(api, "alex/claude/main", "src/a.py", "src/b.py", session_id="s-alex")
    assert denied["decision"] == "deny" and denied["claimed"] == []
    assert denied["conflicts"][0]["engineer"] == "bob/claude/main" and denied["conflicts"][0]["same_person"] is False
    # all or nothing: src/b.py was not claimed by the refused edit
    assert [c["pattern"] for c in api.get("/claims", params={"repo_id": REPO}).json()["claims"]] == ["src/a.py"]

    # bob's other tool and bob's subagent are bob: allowed, not re-claimed
    same = edit(api, "bob/codex/main", "src/a.py", "src/c.py")
    assert same["decision"] == "allow" and same["held_by_you"][0]["same_person"] is True
    assert [c["pattern"] for c in same["claimed"]] == ["src/c.py"]
    child = edit(api, "bob/claude/main+a1", "src/a.py")
    assert child["decision"] == "allow" and child["claimed"] == []
    # two subagents of one session are not
    edit(api, "bob/claude/main+a1", "src/d.py")
    sibling = edit(api, "bob/claude/main+a2", "src/d.py")
    assert sibling["decision"] == "deny" and sibling["conflicts"][0]["engineer"] == "bob/claude/main+a1"

    # the holder editing again refreshes its claim, still one claim
    again = edit(api, "bob/claude/main", "src/a.py", session_id="s-bob")
    assert again["decision"] == "allow"
    mine = api.get("/claims", params={"repo_id": REPO, "engineer": "bob/claude/main"}).json()["claims"]
    assert [c["pattern"] for c in mine] == ["src/a.py"]

    warn = edit(api, "alex/claude/main", "src/a.py", mode="warn")
    assert warn["decision"] == "allow" and warn["warning"] is True and warn["claimed"] == []
    assert_server_exclusive(api)


def test_exact_rule(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, same_person="exact")
    with TestClient(create_app(settings)) as api:
        api.headers.update(AUTH)
        edit(api, "bob/claude/main", "src/a.py")
        assert edit(api, "bob/codex/main", "src/a.py")["decision"] == "deny"
        assert edit(api, "bob/claude/main+a1", "src/a.py")["decision"] == "allow"
        verify = api.post("/claims/verify", json={"repo_id": REPO, "engineer": "bob/cli/main", "paths": ["src/a.py"]})
        assert verify.json()["theirs"][0]["same_person"] is False


def test_verify_carries_the_same_person_answer(api: TestClient) -> None:
    edit(api, "bob/claude/main", "src/a.py")
    edit(api, "carol/claude/main", "src/b.py")
    out = api.post(
        "/claims/verify", json={"repo_id": REPO, "engineer": "bob/cli/main", "paths": ["src/a.py", "src/b.py"]}
    ).json()
    flags = {e["path"]: e["same_person"] for e in out["theirs"]}
    assert flags == {"src/a.py": True, "src/b.py": False}


def test_written_records_unclaimed_writes_once(api: TestClient) -> None:
    held = edit(api, "bob/claude/main", "src/a.py")["claimed"][0]
    edit(api, "alex/claude/main", "src/mine.py")
    body = {"engineer": "alex/claude/main", "repo_id": REPO, "paths": ["src/a.py", "src/mine.py", "src/free.py"]}
    first = api.post("/gate/written", json=body).json()["recorded"]
    assert [(r["path"], r["holder"], r["new"]) for r in first] == [("src/a.py", "bob/claude/main", True)]
    second = api.post("/gate/written", json={**body, "source": "pre-push"}).json()["recorded"]
    assert [r["new"] for r in second] == [False]
    events = [
        e for e in api.get("/events", params={"repo_id": REPO}).json()["events"] if e["event_type"] == "unclaimed-write"
    ]
    assert len(events) == 1 and events[0]["claim_id"] == held["id"] and events[0]["engineer"] == "alex/claude/main"
    # the holder and the writer are both told, once
    for who in ("bob/claude/main", "alex/claude/main"):
        notices = api.post("/sessions/n1/heartbeat", json={"engineer": who, "repo_id": REPO}).json()["pending_requests"]
        assert [n["kind"] for n in notices] == ["unclaimed-write"] and notices[0]["path"] == "src/a.py"
    # the same person writing is not an unclaimed write
    own = api.post("/gate/written", json={**body, "engineer": "bob/codex/main", "paths": ["src/a.py"]}).json()[
        "recorded"
    ]
    assert own == []
    # and the webhook outbox got the event
    stats = api.get("/metrics/webhooks").json()["events"]
    assert stats["unclaimed-write"]["pending"] == 1


def test_session_start_and_end(api: TestClient) -> None:
    edit(api, "alex/claude/main", "src/a.py", "src/b.py", session_id="s-1")
    edit(api, "alex/claude/main+a1", "src/c.py", session_id="s-1")
    edit(api, "alex/claude/main", "src/keep.py", session_id="s-2")
    start = api.post(
        "/gate/session", json={"event": "start", "session_id": "s-1", "engineer": "alex/claude/main", "repo_id": REPO}
    )
    assert start.status_code == 200
    assert {c["pattern"] for c in start.json()["claims"]} == {"src/a.py", "src/b.py", "src/keep.py"}
    # the claims as every other route shows them, and the session's undelivered notices
    listed = api.get("/claims", params={"repo_id": REPO, "engineer": "alex/claude/main"}).json()["claims"]
    assert sorted(start.json()["claims"], key=lambda c: c["id"]) == sorted(listed, key=lambda c: c["id"])
    assert set(start.json()) == {"session_id", "claims", "pending_requests"} and start.json()["session_id"] == "s-1"
    # a waiter in the claim queue gets the scope when the session ends
    end = api.post(
        "/gate/session", json={"event": "end", "session_id": "s-1", "engineer": "alex/claude/main", "repo_id": REPO}
    ).json()
    assert len(end["released"]) == 3 and set(end) == {"session_id", "released"}
    left = api.get("/claims", params={"repo_id": REPO}).json()["claims"]
    assert [c["pattern"] for c in left] == ["src/keep.py"]
    assert_server_exclusive(api)


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("/gate/edit", {"engineer": "a/b/c", "paths": ["src/*.py"]}, "paths"),
        ("/gate/edit", {"engineer": "a/b/c", "paths": []}, "paths"),
        ("/gate/edit", {"engineer": "a/b/c", "paths": ["x"], "mode": "nope"}, "mode"),
        ("/gate/edit", {"engineer": "bad engineer", "paths": ["x"]}, "engineer"),
        ("/gate/written", {"engineer": "a/b/c", "paths": ["../x"]}, "paths"),
        ("/gate/session", {"event": "pause", "session_id": "s", "engineer": "a/b/c"}, "event"),
    ],
)
def test_bad_input_is_a_400(api: TestClient, route: str, body: dict[str, Any], field: str) -> None:
    resp = api.post(route, json=body)
    assert resp.status_code == 400, resp.text
    out = resp.json()
    assert out["error"] == "invalid" and out["detail"]
    assert field in resp.text
