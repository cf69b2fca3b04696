"""Hotspots, promote, auto-promote (with subtrees) and auto-demote, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Conflict, Invalid
from coordination.service import ClaimRequest, ClaimService

REPO = "org/app"
OWNERS = """# owners of org/app
owners:
  - pattern: src/**
    owners: [alex]  # tech lead
shared_files:
  - package-lock.json  # coord-managed=permanent
  - docs/CHANGELOG.md
# end of the shared list
"""


def hold(service: ClaimService, engineer: str, pattern: str, kind: ClaimType = ClaimType.FILE) -> None:
    service.create_claims(ClaimRequest(engineer, [ClaimItem(kind, pattern, ())], REPO, ttl_hours=72))


def refused(service: ClaimService, pattern: str, times: int, engineer: str = "bob/codex/1") -> None:
    for _ in range(times):
        with pytest.raises(Conflict):
            hold(service, engineer, pattern)


def events(service: ClaimService, kind: str) -> list[dict[str, object]]:
    return [e.as_json() for e in service.events(REPO) if e.event_type == kind]


def test_hotspots_rank_and_suggest(service: ClaimService, clock) -> None:
    hold(service, "alex/claude/1", "src/**", ClaimType.MODULE)
    refused(service, "src/app.ts", 10)
    refused(service, "src/db.ts", 3, "carol/cursor/1")
    refused(service, "src/tiny.ts", 2)
    out = service.hotspots(days=30).as_json()
    assert out["thresholds"] == {"shared_file": 10, "split": 10, "monitor": 3}
    assert [(h["pattern"], h["attempts"], h["suggested_action"]) for h in out["repos"][REPO]] == [
        ("src/app.ts", 10, "shared_file"),
        ("src/db.ts", 3, "monitor"),
    ]
    clock.advance(days=31)
    assert service.hotspots(days=30).as_json()["repos"] == {}
    assert service.hotspots(days=30, repo_id=REPO).as_json()["repos"] == {REPO: []}
    with pytest.raises(Invalid, match="days"):
        service.hotspots(days=0)


def test_promote_is_idempotent_and_keeps_comments(service: ClaimService) -> None:
    service.put_ownership(REPO, OWNERS)
    first = service.promote_hotspot(REPO, "shared_file", "src/app.ts").as_json()
    assert first["changed"] is True
    text = service.get_ownership(REPO)
    assert "# tech lead" in text and "# coord-managed=permanent" in text and "# end of the shared list" in text
    assert "- src/app.ts" in text and "# owners of org/app" in text
    again = service.promote_hotspot(REPO, "shared_file", "src/app.ts").as_json()
    assert again["changed"] is False and "already listed" in again["detail"]
    assert service.get_ownership(REPO) == text
    split = service.promote_hotspot(REPO, "split", "src/auth/**").as_json()
    assert split["changed"] and "split_candidates:" in service.get_ownership(REPO)
    assert not service.promote_hotspot(REPO, "split", "src/auth/**").as_json()["changed"]
    assert [e["pattern"] for e in events(service, "promote")] == ["src/app.ts", "src/auth/**"]
    # A promoted file is now stored as shared_file: two agents may hold it.
    hold(service, "alex/claude/1", "src/app.ts")
    hold(service, "bob/codex/1", "src/app.ts")


def test_promote_without_owners_yaml_and_bad_input(service: ClaimService) -> None:
    out = service.promote_hotspot("org/new", "shared_file", "a.json").as_json()
    # Marked as coord's, so a later upload keeps it (issue 8, item 9).
    written = "shared_files:\n- a.json  # coord-promoted=2026-11-29"
    assert out["changed"] and service.get_ownership("org/new").strip() == written
    for action, pattern in [
        ("delete", "a.json"),
        ("shared_file", ""),
        ("shared_file", "../x"),
        ("split", "/abs"),
        ("shared_file", "**"),
        ("shared_file", "**/*.json"),
    ]:
        with pytest.raises(Invalid):
            service.promote_hotspot("org/new", action, pattern)
    assert service.get_ownership("org/new").strip() == written


def test_auto_promote_off_by_default(service: ClaimService) -> None:
    hold(service, "alex/claude/1", "src/app.ts")
    refused(service, "src/app.ts", 20)
    assert service.get_ownership(REPO) == "" and events(service, "auto-promote") == []


def test_auto_promote_at_threshold_in_the_window(make_service, clock) -> None:
    service = make_service(auto_promote_threshold=3, auto_promote_window_days=7)
    service.put_ownership(REPO, OWNERS)
    hold(service, "alex/claude/1", "src/app.ts")
    refused(service, "src/app.ts", 2)
    clock.advance(days=8)  # those two fall out of the window
    hold(service, "alex/claude/1", "src/app.ts")  # refresh the holder's claim
    refused(service, "src/app.ts", 2)
    assert "src/app.ts" not in service.get_ownership(REPO)
    refused(service, "src/app.ts", 1)  # the third in the window
    text = service.get_ownership(REPO)
    assert re.search(r"- src/app.ts +# auto-promoted=2026-12-07\n", text)
    assert "# tech lead" in text and "# end of the shared list" in text
    (event,) = events(service, "auto-promote")
    assert event["pattern"] == "src/app.ts" and event["detail"]["attempts"] == 3
    # Idempotent: alex's exclusive claim (made before the promotion) still refuses bob, but
    # the file is listed already, so nothing more is written.
    refused(service, "src/app.ts", 2)
    assert service.get_ownership(REPO) == text and len(events(service, "auto-promote")) == 1


def test_subtree_promote_replaces_only_auto_leaves(make_service) -> None:
    service = make_service(auto_promote_threshold=1, auto_promote_subtree_min_files=3)
    service.put_ownership(REPO, "shared_files:\n  - src/auth/keep.py  # operator's\n")
    for name in ("a", "b", "c"):
        hold(service, "alex/claude/1", f"src/auth/{name}.py")
        refused(service, f"src/auth/{name}.py", 1)
    text = service.get_ownership(REPO)
    assert re.search(r"- src/auth/keep.py +# operator's\n", text)
    assert re.search(r"- src/auth/\*\* +# auto-promoted=2026-11-29\n", text)
    assert "src/auth/a.py" not in text and "src/auth/c.py" not in text
    assert [e["pattern"] for e in events(service, "auto-promote")] == [
        "src/auth/a.py",
        "src/auth/b.py",
        "src/auth/c.py",
        "src/auth/**",
    ]


def test_subtree_disabled(make_service) -> None:
    service = make_service(auto_promote_threshold=1, auto_promote_subtree_min_files=0)
    for name in ("a", "b", "c"):
        hold(service, "alex/claude/1", f"src/auth/{name}.py")
        refused(service, f"src/auth/{name}.py", 1)
    assert "src/auth/**" not in service.get_ownership(REPO)


def test_auto_demote_sweep(make_service, clock) -> None:
    service = make_service(auto_promote_threshold=2, auto_demote_window_days=14)
    service.put_ownership(
        REPO,
        "shared_files:\n"
        "  - pinned.json  # auto-promoted=2026-01-01 coord-managed=permanent\n"
        "  - operator.json  # kept by hand\n"
        "# below the list\n",
    )
    hold(service, "alex/claude/1", "src/hot.ts")
    hold(service, "alex/claude/1", "src/cold.ts")
    refused(service, "src/hot.ts", 2)
    refused(service, "src/cold.ts", 2)
    assert re.search(r"- src/cold.ts +# auto-promoted=2026-11-29", service.get_ownership(REPO))
    assert service.auto_demote() == {"demoted": 0}  # too recent
    clock.advance(days=15)  # promoted 15 days ago, no refusal since: both are quiet
    assert service.auto_demote() == {"demoted": 2}
    text = service.get_ownership(REPO)
    assert "src/cold.ts" not in text and "src/hot.ts" not in text
    assert "pinned.json" in text and re.search(r"operator.json +# kept by hand", text) and "# below the list" in text
    assert {e["pattern"] for e in events(service, "auto-demote")} == {"src/hot.ts", "src/cold.ts"}
    assert service.auto_demote() == {"demoted": 0}


def test_auto_demote_keeps_entries_still_hot(make_service, clock) -> None:
    service = make_service(auto_promote_threshold=2, auto_demote_window_days=14)
    hold(service, "alex/claude/1", "src/hot.ts")
    refused(service, "src/hot.ts", 2)
    assert "src/hot.ts" in service.get_ownership(REPO)
    clock.advance(days=14)
    # Shared now, but still refused under an exclusive module claim: stays promoted.
    hold(service, "carol/cursor/1", "src/**", ClaimType.MODULE)
    refused(service, "src/hot.ts", 2)
    assert service.auto_demote() == {"demoted": 0}
    assert "src/hot.ts" in service.get_ownership(REPO)


def test_auto_promote_is_sent_as_a_webhook(make_service) -> None:
    service = make_service(auto_promote_threshold=1, webhook_url="http://127.0.0.1:9/hook")
    hold(service, "alex/claude/1", "src/app.ts")
    refused(service, "src/app.ts", 1)
    with service.store.read() as tx:
        sent = [r["event_type"] for r in tx.all("SELECT event_type FROM webhook_outbox ORDER BY id")]
    assert sent == ["claim_granted", "auto-promote"]
