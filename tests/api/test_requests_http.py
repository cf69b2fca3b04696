"""Release requests and the auto-resolution metric over HTTP, in process."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock

ALEX, BOB, CAROL = "alex/claude/1", "bob/codex/1", "carol/cursor/1"
REPO = "org/app"


def claim(client: TestClient, engineer: str, pattern: str, symbols: list[str] | None = None, **extra: object):
    item: dict[str, object] = {"type": "file", "pattern": pattern}
    if symbols:
        item["symbols"] = symbols
    return client.post("/claims", json={"engineer": engineer, "repo_id": REPO, "claims": [item], **extra})


def ask(client: TestClient, claim_id: int, requester: str = BOB, **extra: object):
    body = {"repo_id": REPO, "requester": requester, "claim_id": claim_id, "reason": "hotfix", **extra}
    return client.post("/requests", json=body)


def respond(client: TestClient, request_id: int, engineer: str, answer: str, **extra: object):
    return client.post(f"/requests/{request_id}/respond", json={"engineer": engineer, "answer": answer, **extra})


def heartbeat(client: TestClient, engineer: str) -> list[dict]:
    body = {"engineer": engineer, "repo_id": REPO}
    return client.post("/sessions/0123456789abcdef/heartbeat", json=body).json()["pending_requests"]


def seconds_left(expires_at: str) -> float:
    return (datetime.fromisoformat(expires_at.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds()


def test_release_cycle_over_http(client: TestClient) -> None:
    held = claim(client, ALEX, "src/auth/**", ttl_hours=4).json()["claims"][0]
    assert claim(client, BOB, "src/auth/login.ts").status_code == 409
    resp = ask(client, held["id"], pattern="src/auth/login.ts", urgency="blocking")
    assert resp.status_code == 200, resp.text
    made = resp.json()
    assert made["state"] == "open" and made["urgency"] == "blocking" and made["holder"] == ALEX
    assert 0 < seconds_left(made["claim"]["expires_at"]) <= 300
    # The holder's next POST /claims carries the request, once.
    first = claim(client, ALEX, "docs/notes.md").json()["pending_requests"]
    assert [(n["kind"], n["request_id"]) for n in first] == [("release-request", made["id"])]
    assert claim(client, ALEX, "docs/more.md").json()["pending_requests"] == []
    listed = client.get("/requests", params={"repo_id": REPO, "engineer": ALEX, "role": "holder"}).json()
    assert [r["id"] for r in listed["requests"]] == [made["id"]]
    assert respond(client, made["id"], BOB, "release").status_code == 403
    done = respond(client, made["id"], ALEX, "release")
    assert done.status_code == 200, done.text
    assert done.json()["answer"] == "release" and done.json()["claim"]["state"] == "released"
    assert respond(client, made["id"], ALEX, "deny").status_code == 409
    got = client.get(f"/requests/{made['id']}").json()
    assert got["state"] == "answered" and got["answer"] == "release" and got["answered_at"]
    granted = claim(client, BOB, "src/auth/login.ts")
    assert granted.status_code == 200
    assert [n["kind"] for n in granted.json()["pending_requests"]] == ["release-answer"]
    kinds = [e["event_type"] for e in client.get("/events", params={"repo_id": REPO}).json()["events"]]
    assert kinds.count("release-request") == 1 and kinds.count("release-answer") == 1 and "release" in kinds


def test_narrow_coexist_deny_over_http(client: TestClient) -> None:
    wide = claim(client, ALEX, "src/**").json()["claims"][0]
    r1 = ask(client, wide["id"], pattern="src/api/**").json()
    bad = respond(client, r1["id"], ALEX, "narrow", keep_pattern="lib/**")
    assert bad.status_code == 400 and "not inside" in bad.json()["detail"]
    narrowed = respond(client, r1["id"], ALEX, "narrow", keep_pattern="src/ui/**").json()
    assert narrowed["claim"]["pattern"] == "src/ui/**" and narrowed["answer_detail"]["wanted_scope_free"]

    syms = claim(client, CAROL, "src/api/router.ts", ["Router::a", "Router::b"]).json()["claims"][0]
    r2 = ask(client, syms["id"], pattern="src/api/router.ts", symbols=["Router::b"]).json()
    kept = respond(client, r2["id"], CAROL, "narrow", keep_symbols=["Router::a"]).json()
    assert kept["claim"]["symbols"] == ["Router::a"]
    assert claim(client, BOB, "src/api/router.ts", ["Router::b"]).json()["decisions"][0]["outcome"] == "AUTO_COEXIST"

    r3 = ask(client, wide["id"], pattern="src/ui/button.ts").json()
    both = respond(client, r3["id"], ALEX, "coexist", note="fine, different lines").json()
    assert both["granted"]["engineer"] == BOB and both["granted"]["coexists_with"] == [wide["id"]]
    assert both["claim"]["coexists_with"] == [both["granted"]["id"]]
    assert both["answer_detail"]["note"] == "fine, different lines"

    r4 = ask(client, wide["id"], requester=CAROL, pattern="src/ui/menu.ts", urgency="low").json()
    denied = respond(client, r4["id"], ALEX, "deny").json()
    assert denied["answer"] == "deny" and denied["claim"]["state"] == "active"
    assert 0 < seconds_left(denied["claim"]["expires_at"]) <= 300
    answers = [n for n in heartbeat(client, CAROL) if n["kind"] == "release-answer"]
    assert [n["answer"] for n in answers] == ["deny"]
    assert heartbeat(client, CAROL) == []


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"claim_id": 424242}, 404, "no claim"),
        ({"requester": ALEX}, 400, "your own"),
        ({"reason": ""}, 400, "reason"),
        ({"urgency": "asap"}, 400, "urgency"),
        ({"pattern": "docs/x.md"}, 400, "does not conflict"),
        ({"pattern": "/etc/passwd"}, 400, "absolute"),
        ({"surprise": 1}, 400, "unknown field 'surprise'"),
        ({"ttl_hours": 0}, 400, "ttl_hours"),
    ],
)
def test_bad_requests(client: TestClient, body: dict, status: int, reason: str) -> None:
    held = claim(client, ALEX, "src/a.ts").json()["claims"][0]
    payload = {"repo_id": REPO, "requester": BOB, "claim_id": held["id"], "reason": "why", **body}
    resp = client.post("/requests", json=payload)
    assert resp.status_code == status, resp.text
    assert reason in resp.json()["detail"]
    assert client.get("/requests").json()["requests"] == []


def test_conflicts_and_lookups(client: TestClient) -> None:
    held = claim(client, ALEX, "src/a.ts").json()["claims"][0]
    made = ask(client, held["id"]).json()
    dup = ask(client, held["id"])
    assert dup.status_code == 409 and dup.json()["request_id"] == made["id"]
    assert respond(client, made["id"], ALEX, "narrow").status_code == 400
    assert respond(client, made["id"], ALEX, "perhaps").status_code == 400
    assert respond(client, 424242, ALEX, "deny").status_code == 404
    assert client.get("/requests/424242").status_code == 404
    assert client.get("/requests", params={"role": "holder"}).status_code == 400
    assert client.get("/requests", params={"state": "pending"}).status_code == 400
    assert client.post(f"/requests/{made['id']}/cancel", json={"engineer": ALEX}).status_code == 403
    cancelled = client.post(f"/requests/{made['id']}/cancel", json={"engineer": BOB})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert respond(client, made["id"], ALEX, "release").status_code == 409
    client.delete(f"/claims/{held['id']}", params={"engineer": ALEX})
    gone = ask(client, held["id"])
    assert gone.status_code == 409 and "no longer active" in gone.json()["detail"]


def test_auto_resolutions_endpoint(clocked_client: TestClient, clock: FakeClock) -> None:
    client = clocked_client
    empty = client.get("/metrics/auto-resolutions").json()
    assert empty["days"] == 30 and empty["repos"] == {}
    claim(client, CAROL, "src/router.ts")
    claim(client, ALEX, "src/router.ts", ["Router::a"])  # AUTO_NARROW
    claim(client, BOB, "src/router.ts", ["Router::b"])  # AUTO_NARROW + AUTO_COEXIST
    resp = client.get("/metrics/auto-resolutions", params={"days": 7})
    assert resp.status_code == 200, resp.text
    series = resp.json()["repos"][REPO]
    assert len(series) == 7
    today = clock.now.date().isoformat()
    assert series[-1] == {"date": today, "auto_coexist": 1, "auto_narrow": 2}
    assert all(d["auto_coexist"] == d["auto_narrow"] == 0 for d in series[:-1])
    assert [d["date"] for d in series] == sorted(d["date"] for d in series)
    only = client.get("/metrics/auto-resolutions", params={"days": 1, "repo_id": "org/none"}).json()
    assert only["repos"] == {"org/none": [{"date": today, "auto_coexist": 0, "auto_narrow": 0}]}
    for days in (0, 366, "x"):
        bad = client.get("/metrics/auto-resolutions", params={"days": days})
        assert bad.status_code == 400 and "days" in bad.json()["detail"]


def test_auth_and_openapi(client: TestClient) -> None:
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    for method, path in [
        ("get", "/requests"),
        ("post", "/requests"),
        ("get", "/requests/1"),
        ("post", "/requests/1/respond"),
        ("post", "/requests/1/cancel"),
        ("get", "/metrics/auto-resolutions"),
    ]:
        assert getattr(anonymous, method)(path).status_code == 401, (method, path)
    spec = client.get("/openapi.json").json()
    assert {"200", "400", "401", "403", "404", "409"} <= set(
        spec["paths"]["/requests/{request_id}/respond"]["post"]["responses"]
    )
    assert {"200", "400", "401", "404", "409"} <= set(spec["paths"]["/requests"]["post"]["responses"])
    assert "RespondOut" in spec["components"]["schemas"]
    assert "AutoResolutionsOut" in spec["components"]["schemas"]


def test_hotspots_and_promote_endpoints(client: TestClient) -> None:
    claim(client, CAROL, "src/**")
    empty = client.get("/metrics/hotspots", params={"repo_id": REPO}).json()
    assert empty["repos"] == {REPO: []}
    for _ in range(3):
        assert claim(client, ALEX, "src/router.ts").status_code == 409
    spots = client.get("/metrics/hotspots", params={"days": 7})
    assert spots.status_code == 200, spots.text
    (spot,) = spots.json()["repos"][REPO]
    assert spot["pattern"] == "src/router.ts" and spot["attempts"] == 3 and spot["suggested_action"] == "monitor"
    for days in (0, 366, "x"):
        bad = client.get("/metrics/hotspots", params={"days": days})
        assert bad.status_code == 400 and "days" in bad.json()["detail"]
    yaml = "# ours\nshared_files:\n  - package-lock.json  # coord-managed=permanent\n"
    assert client.post("/config/ownership", json={"repo_id": REPO, "yaml": yaml}).status_code == 200
    body = {"repo_id": REPO, "action": "shared_file", "pattern": "src/router.ts"}
    first = client.post("/metrics/hotspots/promote", json=body)
    assert first.status_code == 200, first.text
    assert first.json()["changed"] is True
    text = client.get("/config/ownership", params={"repo_id": REPO}).json()
    assert "# ours" in text["yaml"] and "# coord-managed=permanent" in text["yaml"]
    assert text["shared_files"] == ["package-lock.json", "src/router.ts"]
    again = client.post("/metrics/hotspots/promote", json=body).json()
    assert again["changed"] is False and again["yaml"] == text["yaml"]
    for bad_body in (
        {**body, "action": "delete"},
        {**body, "pattern": ""},
        {**body, "pattern": "../etc/passwd"},
        {**body, "extra": 1},
        {"repo_id": REPO, "action": "split"},
        {**body, "repo_id": "bad repo id!"},
    ):
        resp = client.post("/metrics/hotspots/promote", json=bad_body)
        assert resp.status_code == 400, (bad_body, resp.text)
        assert resp.json()["detail"]
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    assert anonymous.get("/metrics/hotspots").status_code == 401
    assert anonymous.post("/metrics/hotspots/promote", json=body).status_code == 401
