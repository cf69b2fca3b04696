"""The auto-resolution series, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Invalid
from coordination.service import ClaimRequest, ClaimService


def claim(service: ClaimService, engineer: str, path: str, *symbols: str, repo: str = "org/app") -> str:
    req = ClaimRequest(engineer, [ClaimItem(ClaimType.FILE, path, symbols)], repo, ttl_hours=72)
    return str(service.create_claims(req).decisions[0].outcome)


def test_zero_filled_days_and_counts(service: ClaimService, clock) -> None:
    # 2026-11-29 (clock start): one AUTO_NARROW.
    claim(service, "carol/cursor/1", "src/router.ts")
    assert claim(service, "alex/claude/1", "src/router.ts", "Router::a") == "AUTO_NARROW"
    clock.advance(days=2)
    # 2026-12-01: an AUTO_NARROW and an AUTO_COEXIST in one claim (narrows carol, beside alex).
    assert claim(service, "bob/codex/1", "src/router.ts", "Router::b") == "AUTO_NARROW"
    claim(service, "dan/claude/2", "other.ts", repo="org/quiet")
    out = service.auto_resolutions(days=4).as_json()
    assert out["days"] == 4 and out["since"] == "2026-11-28" and out["until"] == "2026-12-01"
    assert out["repos"]["org/app"] == [
        {"date": "2026-11-28", "auto_coexist": 0, "auto_narrow": 0},
        {"date": "2026-11-29", "auto_coexist": 0, "auto_narrow": 1},
        {"date": "2026-11-30", "auto_coexist": 0, "auto_narrow": 0},
        {"date": "2026-12-01", "auto_coexist": 1, "auto_narrow": 1},
    ]
    # A repo with activity but no auto-resolution shows zeros.
    assert [d["auto_narrow"] + d["auto_coexist"] for d in out["repos"]["org/quiet"]] == [0, 0, 0, 0]
    # The window moves with the clock: one day back only shows today.
    today = service.auto_resolutions(days=1).as_json()
    assert today["repos"]["org/app"] == [{"date": "2026-12-01", "auto_coexist": 1, "auto_narrow": 1}]
    # Filtered by repo, even one that never existed (all zeros).
    only = service.auto_resolutions(days=30, repo_id="org/app").as_json()
    assert list(only["repos"]) == ["org/app"] and len(only["repos"]["org/app"]) == 30
    assert sum(d["auto_narrow"] for d in only["repos"]["org/app"]) == 2
    ghost = service.auto_resolutions(days=2, repo_id="org/ghost").as_json()
    assert ghost["repos"] == {
        "org/ghost": [
            {"date": "2026-11-30", "auto_coexist": 0, "auto_narrow": 0},
            {"date": "2026-12-01", "auto_coexist": 0, "auto_narrow": 0},
        ]
    }


def test_events_older_than_the_window_do_not_count(service: ClaimService, clock) -> None:
    claim(service, "carol/cursor/1", "src/router.ts")
    claim(service, "alex/claude/1", "src/router.ts", "Router::a")
    clock.advance(days=3)
    assert service.auto_resolutions(days=3).as_json()["repos"] == {}
    assert service.auto_resolutions(days=4).as_json()["repos"]["org/app"][0]["auto_narrow"] == 1


@pytest.mark.parametrize("days", [0, -1, 366, 10_000])
def test_days_bounds(service: ClaimService, days: int) -> None:
    with pytest.raises(Invalid, match="days"):
        service.auto_resolutions(days=days)
