"""Push/CI guards against a fake API (the real server is used in tests/e2e; the edit gate
is tested in tests/gate)."""

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


def soon() -> str:
    """Two hours from now, read when a test runs (not when the module is imported)."""
    return (datetime.now(UTC) + timedelta(hours=2, minutes=5)).isoformat()


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


def test_verify_paths_splits_by_person(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {
        "ours": [],
        "theirs": [
            {
                "path": "src/a.ts",
                "claim_id": 3,
                "engineer": "bob/claude/main",
                "pattern": "src/a.ts",
                "expires_at": soon(),
                "fence": 4,
            },
            {
                "path": "src/b.ts",
                "claim_id": 5,
                "engineer": "alex/codex/main",
                "pattern": "src/b.ts",
                "expires_at": soon(),
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


def test_server_same_person_answer_wins_and_writes_are_recorded(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server says who is the same person (here: not alex/codex/main, as under
    COORD_SAME_PERSON=exact); the push check obeys it and records the held files."""
    answer = {
        "ours": [],
        "theirs": [
            {
                "path": "src/b.ts",
                "claim_id": 5,
                "engineer": "alex/codex/main",
                "pattern": "src/b.ts",
                "expires_at": soon(),
                "fence": 6,
                "same_person": False,
            },
        ],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/gate/written":
            return httpx.Response(200, json={"recorded": []})
        return httpx.Response(200, json=answer)

    seen = fake_api(monkeypatch, handler)
    env = clientenv.resolve({}, start=repo)
    outcome = guards.verify_paths(["src/b.ts"], env, what="push", strict=False)
    assert outcome.exit_code == 1 and "held by alex/codex/main" in "\n".join(outcome.lines)
    written = [r for r in seen if r.url.path == "/gate/written"]
    assert len(written) == 1
    body = httpx.Response(200, content=written[0].content).json()
    assert body["paths"] == ["src/b.ts"] and body["source"] == "pre-push"


def test_recording_failure_never_changes_the_answer(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = {"path": "a", "claim_id": 1, "engineer": "bob/x/y", "pattern": "a", "expires_at": soon(), "fence": 1}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/gate/written":
            return httpx.Response(404, json={"error": "not_found", "detail": "old server"})
        return httpx.Response(200, json={"ours": [], "theirs": [theirs]})

    fake_api(monkeypatch, handler)
    outcome = guards.verify_paths(["a"], clientenv.resolve({}, start=repo), what="check", strict=True)
    assert outcome.exit_code == 1 and "held by bob/x/y" in "\n".join(outcome.lines)


def test_a_big_push_is_checked_in_batches_and_every_batch_counts(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    held = "vendor/lib/f2345.js"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/claims/verify":
            return httpx.Response(200, json={"recorded": []})
        paths = json.loads(request.content)["paths"]
        assert len(paths) <= guards.VERIFY_BATCH
        theirs = [
            {"path": p, "claim_id": 9, "engineer": "bob/claude/main", "pattern": p, "expires_at": soon(), "fence": 9}
            for p in paths
            if p == held
        ]
        return httpx.Response(200, json={"ours": [], "theirs": theirs, "unchecked": []})

    seen = fake_api(monkeypatch, answer)
    env = clientenv.resolve({}, start=repo)
    paths = [f"vendor/lib/f{i}.js" for i in range(2 * guards.VERIFY_BATCH + 500)]
    outcome = guards.verify_paths(paths, env, what="push", strict=False)
    verifies = [r for r in seen if r.url.path == "/claims/verify"]
    assert len(verifies) == 3
    assert outcome.exit_code == 1 and any(held in line for line in outcome.lines)
