"""Check a repo's audit history: never two overlapping exclusive claims active at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from coordination.core import globs, symbols

END_EVENTS = {"release", "expire", "idle-expire"}


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _may_share(old: dict[str, Any], new: dict[str, Any], narrowed: set[tuple[int, int]]) -> bool:
    """Could `new` be granted beside the still-active `old` at all?

    Two symbol claims on one file with disjoint symbols coexist; a symbol claim
    is let in beside a whole-file claim only by narrowing it (its grant recorded
    an `auto-narrow` of that claim). Anything else overlapping conflicts.
    """
    if old["symbols"] and new["symbols"]:
        return old["pattern"] == new["pattern"] and not symbols.colliding(old["symbols"], new["symbols"])
    if new["symbols"] and not old["symbols"]:
        return (new["id"], old["id"]) in narrowed
    return False


def violations(
    events: list[dict[str, Any]],
    claims: list[dict[str, Any]],
    silent: Mapping[str, str] | None = None,
    idle_timeout_sec: float = 0,
) -> list[str]:
    """Every grant that went to a claim overlapping another engineer's claim still active then.

    "Active then" means: granted at a lower sequence number, not ended at a lower
    one, its expiry later than the grant's time (an expired claim may be
    replaced before any sweep records its expiry), and, for a claim whose session
    went silent (`silent`: session id -> when it was last used), not yet past
    the idle timeout after that.
    """
    by_id = {c["id"]: c for c in claims}
    grants = [e for e in events if e["event_type"] == "grant"]
    ended_at_seq = {e["claim_id"]: e["detail"]["seq"] for e in events if e["event_type"] in END_EVENTS}
    narrowed = {(e["claim_id"], e["detail"]["narrowed"]) for e in events if e["event_type"] == "auto-narrow"}
    idle_from = {s: _t(t) + timedelta(seconds=idle_timeout_sec) for s, t in (silent or {}).items()}
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
            if old.get("session_id") in idle_from and idle_from[old["session_id"]] <= when:
                continue
            if globs.overlap(old["pattern"], new["pattern"]) is None or _may_share(old, new, narrowed):
                continue
            problems.append(
                f"claim {new['id']} ({new['engineer']} {new['pattern']} {new['symbols']}) granted while "
                f"{old['id']} ({old['engineer']} {old['pattern']} {old['symbols']}) was active"
            )
    return problems


def fences_increase(events: list[dict[str, Any]]) -> bool:
    fences = [e["detail"]["fence"] for e in sorted(events, key=lambda e: e["id"]) if e["event_type"] == "grant"]
    return all(a < b for a, b in zip(fences, fences[1:], strict=False))
