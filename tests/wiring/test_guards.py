"""Edit/push guards against a fake API (the real server is used in tests/e2e)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from coordination import clientenv
from coordination.client import CoordClient
from coordination.wiring import guards

SOON = (datetime.now(UTC) + timedelta(hours=2, minutes=5)).isoformat()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / ".coordination").mkdir(parents=True)
    (root / ".coordination" / "local.env").write_text(
        "COORD_API_URL=http://svc\nCOORD_AUTH_TOKEN=t\nCOORD_REPO_ID=acme/app\nCOORD_ENGINEER=alex/claude/main\n"
    )
    (root / "src").mkdir()
    return root


def fake_api(monkeypatch: pytest.MonkeyPatch, handler: Any) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    original = CoordClient.from_env

    def from_env(env: clientenv.ClientEnv, timeout: float = 10.0, transport: Any = None) -> CoordClient:
        return original(env, timeout=timeout, transport=httpx.MockTransport(record))

    monkeypatch.setattr(guards.CoordClient, "from_env", staticmethod(from_env))
    return seen


CONFLICT = {
    "error": "conflict",
    "detail": "src/a.ts is held",
    "conflicts": [
        {
            "claim_id": 7,
            "engineer": "bob/codex/main",
            "type": "file",
            "pattern": "src/**",
            "symbols": [],
            "expires_at": SOON,
            "fence": 12,
            "requested_pattern": "src/a.ts",
        }
    ],
    "suggestion": "bob owns src/",
}


def test_claim_mode_denies_when_held(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = fake_api(monkeypatch, lambda r: httpx.Response(409, json=CONFLICT))
    decision = guards.guard_edit([str(repo / "src" / "a.ts")], repo, "claude", "uuid-1", {})
    out = decision.hook_output()
    assert out is not None
    spec = out["hookSpecificOutput"]
    assert spec["permissionDecision"] == "deny"
    reason = spec["permissionDecisionReason"]
    for needle in ("bob/codex/main", "#7", "src/a.ts", "fence 12", "(in 2h0", "wait", "release"):
        assert needle in reason
    body = json.loads(seen[0].content)
    assert body["claims"] == [{"type": "file", "pattern": "src/a.ts"}]
    assert body["engineer"] == "alex/claude/main" and body["repo_id"] == "acme/app"
    assert body["session_id"] == clientenv.normalize_session_id("uuid-1")
    assert seen[0].headers["X-Coord-Session"] == body["session_id"]
    assert len(seen) == 1  # one round trip


def test_claim_mode_allows_silently_when_granted(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_api(monkeypatch, lambda r: httpx.Response(200, json={"claims": [{"id": 1}]}))
    decision = guards.guard_edit(["src/a.ts"], repo, "claude", None, {})
    assert decision.hook_output() is None
    assert decision.claimed == [{"id": 1}]


def test_files_outside_repo_or_in_coordination_are_not_checked(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = fake_api(monkeypatch, lambda r: httpx.Response(500))
    for path in (str(tmp_path / "elsewhere.txt"), str(repo / ".coordination" / "local.env")):
        assert guards.guard_edit([path], repo, "claude", None, {}).hook_output() is None
    assert seen == []


def test_warn_and_off_modes(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {"safe": False, "has_conflicts": True, "conflicts": CONFLICT["conflicts"]}
    seen = fake_api(monkeypatch, lambda r: httpx.Response(200, json=answer))
    (repo / ".coordination" / "config.toml").write_text('[hook]\non_edit = "warn"\n')
    out = guards.guard_edit(["src/a.ts"], repo, "claude", None, {}).hook_output()
    assert out is not None and "permissionDecision" not in out.get("hookSpecificOutput", {})
    assert "bob/codex/main" in out["systemMessage"]
    assert seen[0].method == "GET" and seen[0].url.path == "/conflicts"
    (repo / ".coordination" / "config.toml").write_text('[hook]\non_edit = "off"\n')
    assert guards.guard_edit(["src/a.ts"], repo, "claude", None, {}).hook_output() is None
    assert len(seen) == 1


def test_unreachable_fails_open_with_warning(repo: Path) -> None:
    env_file = repo / ".coordination" / "local.env"
    env_file.write_text(env_file.read_text().replace("http://svc", "http://127.0.0.1:9"))
    decision = guards.guard_edit(["src/a.ts"], repo, "claude", None, {})
    out = decision.hook_output()
    assert out is not None and "unreachable" in out["systemMessage"]
    assert "hookSpecificOutput" not in out


def test_auth_error_fails_open(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_api(monkeypatch, lambda r: httpx.Response(401, json={"error": "unauthorized", "detail": "bad"}))
    out = guards.guard_edit(["src/a.ts"], repo, "claude", None, {}).hook_output()
    assert out is not None and "coord doctor" in out["systemMessage"]


def test_codex_patch_paths() -> None:
    patch = (
        "*** Begin Patch\n*** Update File: src/a.ts\n@@\n-x\n+y\n"
        "*** Add File: src/new.ts\n+z\n*** Delete File: old.ts\n"
        "*** Update File: src/m.ts\n*** Move to: src/n.ts\n*** End Patch\n"
    )
    payload = {"tool_name": "apply_patch", "tool_input": {"command": patch}}
    assert guards.codex_paths(payload) == [
        "src/a.ts",
        "src/new.ts",
        "old.ts",
        "src/m.ts",
        "src/n.ts",
    ]
    assert guards.claude_paths({"tool_input": {"notebook_path": "/r/n.ipynb"}}) == ["/r/n.ipynb"]


def test_verify_paths_splits_by_person(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {
        "ours": [],
        "theirs": [
            {
                "path": "src/a.ts",
                "claim_id": 3,
                "engineer": "bob/claude/main",
                "pattern": "src/a.ts",
                "expires_at": SOON,
                "fence": 4,
            },
            {
                "path": "src/b.ts",
                "claim_id": 5,
                "engineer": "alex/codex/main",
                "pattern": "src/b.ts",
                "expires_at": SOON,
                "fence": 6,
            },
        ],
    }
    fake_api(monkeypatch, lambda r: httpx.Response(200, json=answer))
    env = clientenv.resolve({}, start=repo)
    outcome = guards.verify_paths(["src/a.ts", "src/b.ts"], env, what="push", strict=False)
    text = "\n".join(outcome.lines)
    assert outcome.exit_code == 1
    assert "src/a.ts: held by bob/claude/main (claim #3" in text
    assert "src/b.ts" in text and "release them after pushing" in text


def test_verify_paths_unreachable_strict_and_not(repo: Path) -> None:
    env = clientenv.resolve({"COORD_API_URL": "http://127.0.0.1:9"}, start=repo)
    lax = guards.verify_paths(["x"], env, what="push", strict=False)
    assert lax.exit_code == 0 and "allowed" in lax.lines[-1]
    strict = guards.verify_paths(["x"], env, what="push", strict=True)
    assert strict.exit_code == 1 and "COORD_PREPUSH_STRICT" in strict.lines[-1]


def test_when_formats_relative_time() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert guards.when("2026-01-01T14:30:00Z", now) == "2026-01-01 14:30 UTC (in 2h30m)"
    assert guards.when("2026-01-01T11:00:00+00:00", now).endswith("(expired)")
    assert guards.when(None) == "an unknown time"
