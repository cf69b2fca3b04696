"""What the reports give back: frozen records, like `service.records`.

The API validates them into its response models (`from_attributes`); `as_json`
gives the same body as plain JSON. The webhook delivery counts are built next to
the outbox (`coordination.webhooks`) and exported here with the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coordination.core.promotion import Hotspot
from coordination.service.records import iso_z
from coordination.webhooks import EventTypeCounts, WebhookDeliveries

__all__ = [
    "AutoResolutionReport",
    "DayCount",
    "EventTypeCounts",
    "Hotspot",
    "HotspotReport",
    "PromotionThresholds",
    "WebhookDeliveries",
]


@dataclass(frozen=True, slots=True)
class PromotionThresholds:
    """The refused attempts from which each action is suggested."""

    shared_file: int
    split: int
    monitor: int

    def as_json(self) -> dict[str, int]:
        return {"shared_file": self.shared_file, "split": self.split, "monitor": self.monitor}


@dataclass(frozen=True, slots=True)
class HotspotReport:
    """`GET /metrics/hotspots`: per repo (sorted), its hotspots (`core.promotion.Hotspot`), most
    attempted first.

    `since` and `until` are the window's first and last UTC days (YYYY-MM-DD).
    """

    days: int
    since: str
    until: str
    thresholds: PromotionThresholds
    repos: dict[str, tuple[Hotspot, ...]]

    def as_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "since": self.since,
            "until": self.until,
            "thresholds": self.thresholds.as_json(),
            "repos": {repo: [_hotspot_json(h) for h in hotspots] for repo, hotspots in self.repos.items()},
        }


def _hotspot_json(hotspot: Hotspot) -> dict[str, Any]:
    return {
        "pattern": hotspot.pattern,
        "attempts": hotspot.attempts,
        "engineers": hotspot.engineers,
        "last_attempt_at": iso_z(hotspot.last_attempt_at),
        "suggested_action": hotspot.suggested_action,
    }


@dataclass(frozen=True, slots=True)
class DayCount:
    """One UTC day's automatic resolutions in a repo."""

    date: str  # YYYY-MM-DD
    auto_coexist: int
    auto_narrow: int

    def as_json(self) -> dict[str, Any]:
        return {"date": self.date, "auto_coexist": self.auto_coexist, "auto_narrow": self.auto_narrow}


@dataclass(frozen=True, slots=True)
class AutoResolutionReport:
    """`GET /metrics/auto-resolutions`: per repo (sorted), one `DayCount` per day of the window, oldest first."""

    days: int
    since: str
    until: str
    repos: dict[str, tuple[DayCount, ...]]

    def as_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "since": self.since,
            "until": self.until,
            "repos": {repo: [d.as_json() for d in counts] for repo, counts in self.repos.items()},
        }
