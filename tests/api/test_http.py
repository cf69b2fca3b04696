"""The HTTP contract, in process: every status code, bad input never a 500."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coordination.api.app import InsecureConfiguration, create_app
from tests.conftest import make_settings


def claim(client: TestClient, engineer: str, *patterns: str, **extra: object):
    body = {
        "engineer": engineer,
        "repo_id": "org/app",
        "claims": [{"type": "file", "pattern": p} for p in patterns],
        **extra,
    }
    return client.post("/claims", json=body)


def test_seed_quickstart_body_is_granted(client: TestClient) -> None:
    resp = client.post(
        "/claims",
        json={
            "engineer": "alex/claude/main",
            "branch": "alex/feature",
            "description": "touching auth module",
            "claims": [{"type": "file", "pattern": "src/auth/**"}],
            "ttl_hours": 4,
        },
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["claims"][0]["repo_id"] == "default"
    assert body["decisions"][0]["outcome"] == "GRANT"
    assert body["pending_requests"] == []


def test_conflict_is_409_with_holders_expiry_and_suggestion(client: TestClient) -> None:
    first = claim(client, "alex/claude/1", "src/*.py").json()["claims"][0]
    resp = claim(client, "bob/codex/1", "src/f1.py")
    assert resp.status_code == 409
    body = resp.json()
    assert body["error"] == "conflict"
    (entry,) = body["conflicts"]
    assert entry["engineer"] == "alex/claude/1" and entry["claim_id"] == first["id"]
    assert entry["expires_at"] == first["expires_at"] and body["suggestion"]


def test_get_list_release_extend(client: TestClient) -> None:
    c = claim(client, "alex/claude/1", "src/a.ts").json()["claims"][0]
    assert client.get(f"/claims/{c['id']}").json()["fence"] == c["fence"]
    assert [x["id"] for x in client.get("/claims", params={"repo_id": "org/app"}).json()["claims"]] == [c["id"]]
    assert client.get("/claims", params={"engineer": "nobody"}).json()["claims"] == []
    ext = client.post(f"/claims/{c['id']}/extend", json={"engineer": "alex/claude/1", "ttl_hours": 8})
    assert ext.status_code == 200 and ext.json()["expires_at"] > c["expires_at"]
    assert client.post(f"/claims/{c['id']}/extend", json={"engineer": "bob", "ttl_hours": 1}).status_code == 403
    assert client.delete(f"/claims/{c['id']}", params={"engineer": "bob"}).status_code == 403
    assert client.delete(f"/claims/{c['id']}", params={"engineer": "alex/claude/1"}).json() == {"released": [c["id"]]}
    assert client.get("/claims", params={"repo_id": "org/app"}).json()["claims"] == []
    assert (
        client.get("/claims", params={"repo_id": "org/app", "active": False}).json()["claims"][0]["state"] == "released"
    )
    assert client.get("/claims/424242").status_code == 404


def test_bulk_release_and_heartbeat(client: TestClient) -> None:
    claim(client, "alex/claude/1", "a.ts", "b.ts", session_id="abcdef0123456789")
    hb = client.post("/sessions/abcdef0123456789/heartbeat", json={"engineer": "alex/claude/1"})
    assert hb.status_code == 200 and hb.json()["active_claims"] == 2
    bare = client.post("/claims/release", json={"repo_id": "org/app", "session_id": "abcdef0123456789"})
    assert bare.status_code == 400 and "engineer" in bare.json()["detail"]  # who releases is required
    resp = client.post(
        "/claims/release",
        json={"repo_id": "org/app", "engineer": "alex/claude/1", "session_id": "abcdef0123456789"},
    )
    assert len(resp.json()["released"]) == 2
    assert client.post("/claims/release", json={"repo_id": "org/app"}).status_code == 400


def test_conflicts_endpoint(client: TestClient) -> None:
    claim(client, "alex/claude/1", "src/auth/**")
    resp = client.get(
        "/conflicts",
        params={"repo_id": "org/app", "engineer": "bob", "paths": ["src/auth/a.ts", "x"]},
    )
    body = resp.json()
    assert resp.status_code == 200
    assert body["has_conflicts"] and not body["safe"] and not body["safe_to_proceed"] and body["suggestion"]
    ok = client.get("/conflicts", params={"repo_id": "org/app", "paths": "docs/x.md"}).json()
    assert ok == {
        "safe": True,
        "safe_to_proceed": True,
        "has_conflicts": False,
        "conflicts": [],
        "suggestion": None,
    }
    assert client.get("/conflicts", params={"repo_id": "org/app"}).status_code == 400


def test_verify_endpoint(client: TestClient) -> None:
    claim(client, "alex/claude/1", "src/a.ts")
    body = client.post("/claims/verify", json={"repo_id": "org/app", "engineer": "bob", "paths": ["src/a.ts"]}).json()
    assert body["ours"] == [] and body["theirs"][0]["engineer"] == "alex/claude/1"
    # Paths are file names, never globs; one that names no repo file is answered on its own.
    paths = ["src/*.ts", "../x.ts", "src/a.ts"]
    mixed = client.post("/claims/verify", json={"repo_id": "org/app", "engineer": "bob", "paths": paths})
    assert mixed.status_code == 200
    body = mixed.json()
    assert [e["path"] for e in body["theirs"]] == ["src/a.ts"]
    assert [u["path"] for u in body["unchecked"]] == ["../x.ts"]


def test_ownership_round_trip_keeps_comments(client: TestClient) -> None:
    text = "# who owns what\nowners:\n  - pattern: src/auth/**  # auth team\n    owners: ['@auth']\n"
    resp = client.post("/config/ownership", json={"repo_id": "org/app", "yaml": text})
    assert resp.status_code == 200 and resp.json()["owners"] == [{"pattern": "src/auth/**", "owners": ["@auth"]}]
    assert client.get("/config/ownership", params={"repo_id": "org/app"}).json()["yaml"] == text
    claim(client, "alex/claude/1", "src/auth/a.ts")
    assert "@auth" in claim(client, "bob", "src/auth/**").json()["suggestion"]
    bad = client.post("/config/ownership", json={"repo_id": "org/app", "yaml": "owners: {"})
    assert bad.status_code == 400 and "YAML" in bad.json()["detail"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"claims": [{"pattern": "a"}]}, "engineer"),
        ({"engineer": "a", "claims": []}, "claims"),
        ({"engineer": "a", "claims": [{"pattern": "a", "type": "folder"}]}, "type"),
        ({"engineer": "a", "claims": [{"pattern": 7}]}, "pattern"),
        (
            {"engineer": "a", "claims": [{"pattern": "a"}], "surprise": 1},
            "unknown field 'surprise'",
        ),
        ({"engineer": "a", "claims": [{"pattern": "a"}], "ttl_hours": "soon"}, "ttl_hours"),
        ({"engineer": "a", "claims": [{"pattern": "a"}], "ttl_hours": 0}, "ttl_hours"),
        ({"engineer": "a", "claims": [{"pattern": "a"}], "ttl_hours": 10_000}, "ttl_hours"),
        ({"engineer": "a", "claims": [{"pattern": "/etc/passwd"}]}, "absolute"),
        ({"engineer": "a", "claims": [{"pattern": "../x"}]}, ".."),
        ({"engineer": "a", "claims": [{"pattern": "src/[a"}]}, "["),
        ({"engineer": "a", "claims": [{"pattern": "a.ts", "symbols": ["x y"]}]}, "symbol"),
        (
            {"engineer": "a", "claims": [{"pattern": "notes.txt", "symbols": ["A"]}]},
            "not supported",
        ),
        ({"engineer": "bad engineer!", "claims": [{"pattern": "a"}]}, "engineer"),
        ({"engineer": "a", "session_id": "no spaces", "claims": [{"pattern": "a"}]}, "session_id"),
        ({"engineer": "a", "claims": [{"pattern": "a"}], "wait_seconds": 901}, "wait_seconds"),
        ({"engineer": "a", "claims": [{"pattern": "a"}], "wait_seconds": -1}, "wait_seconds"),
        ({"engineer": "a", "claims": [{"pattern": "a"}], "urgency": "now"}, "urgency"),
    ],
)
def test_bad_claims_are_400_with_reason_and_write_nothing(client: TestClient, body: dict, reason: str) -> None:
    resp = client.post("/claims", json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid" and reason in resp.json()["detail"]
    assert client.get("/claims").json()["claims"] == []


def test_malformed_json_and_wrong_content(client: TestClient) -> None:
    resp = client.post("/claims", content=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and "not valid JSON" in resp.json()["detail"]
    resp = client.post("/claims", content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    resp = client.post("/claims", content=json.dumps("x").encode(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 400


def test_huge_body_is_413(client: TestClient) -> None:
    body = {"engineer": "a", "claims": [{"pattern": "x" * 4000}] * 400}
    resp = client.post("/claims", json=body)
    assert resp.status_code == 413 and resp.json()["error"] == "too_large"


def test_auth_required_everywhere_but_health(client: TestClient) -> None:
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/readyz").json()["status"] == "ready"
    for method, path in [
        ("get", "/claims"),
        ("post", "/claims"),
        ("get", "/conflicts"),
        ("get", "/claims/1"),
        ("delete", "/claims/1"),
        ("post", "/claims/release"),
        ("get", "/config/ownership"),
        ("get", "/events"),
        ("get", "/auth/check"),
    ]:
        resp = getattr(anonymous, method)(path)
        assert resp.status_code == 401, (method, path)
        assert resp.json()["error"] == "unauthorized"
        wrong = getattr(anonymous, method)(path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
    assert client.get("/auth/check").json()["ok"] is True


def test_refuses_to_start_without_token(tmp_path: Path) -> None:
    with pytest.raises(InsecureConfiguration, match="COORD_AUTH_TOKEN"):
        create_app(make_settings(tmp_path, auth_token=None))
    app = create_app(make_settings(tmp_path, auth_token=None, allow_insecure_no_auth=True))
    with TestClient(app) as c:
        assert c.get("/claims").status_code == 200


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    assert client.get("/nope").json()["error"] == "not_found"
    assert client.put("/claims").status_code == 405


def test_openapi_documents_models_and_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/claims"]["post"]
    assert {"200", "400", "401", "409"} <= set(post["responses"])
    assert "ConflictOut" in spec["components"]["schemas"]
    assert "ClaimOut" in spec["components"]["schemas"]
    # Bad input is a 400 with {error, detail}, never FastAPI's default 422.
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_ids_out_of_range_are_400_not_500(client: TestClient) -> None:
    huge = 2**70
    assert client.get(f"/claims/{huge}").status_code == 400
    assert client.delete(f"/claims/{huge}", params={"engineer": "a"}).status_code == 400
    assert client.post(f"/claims/{huge}/extend", json={"engineer": "a", "ttl_hours": 1}).status_code == 400
    assert client.get("/claims/0").status_code == 400
    assert client.post("/claims/release", json={"claim_ids": [huge]}).status_code == 400
    assert client.get(f"/requests/{huge}").status_code == 400
    assert client.delete(f"/requests/{huge}", params={"engineer": "a"}).status_code == 400
    assert client.post("/requests", json={"requester": "b", "claim_id": huge, "reason": "x"}).status_code == 400
