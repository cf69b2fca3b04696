"""Check a repo's audit history: never two overlapping exclusive claims active at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coordination.core import globs

END_EVENTS = {"release", "expire", "idle-expire"}


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def violations(events: list[dict[str, Any]], claims: list[dict[str, Any]]) -> list[str]:
    """Every grant that went to a claim overlapping another engineer's claim still active then.

    "Active then" means: granted at a lower sequence number, not ended at a lower
    one, and its expiry later than the grant's time (an expired claim may be
    replaced before any sweep records its expiry).
    """
    by_id = {c["id"]: c for c in claims}
    grants = [e for e in events if e["event_type"] == "grant"]
    ended_at_seq = {e["claim_id"]: e["detail"]["seq"] for e in events if e["event_type"] in END_EVENTS}
    problems = []
    for g in grants:
        new = by_id[g["claim_id"]]
        seq, when = g["detail"]["fence"], _t(g["created_at"])
        for other in grants:
            old = by_id[other["claim_id"]]
            if other["detail"]["fence"] >= seq or old["engineer"] == new["engineer"]:
                continue
            if ended_at_seq.get(old["id"], 1 << 62) < seq or _t(old["expires_at"]) <= when:
                continue
            if globs.overlap(old["pattern"], new["pattern"]) is not None:
                problems.append(
                    f"claim {new['id']} ({new['engineer']} {new['pattern']}) granted while "
                    f"{old['id']} ({old['engineer']} {old['pattern']}) was active"
                )
    return problems


def fences_increase(events: list[dict[str, Any]]) -> bool:
    fences = [e["detail"]["fence"] for e in sorted(events, key=lambda e: e["id"]) if e["event_type"] == "grant"]
    return all(a < b for a, b in zip(fences, fences[1:], strict=False))
