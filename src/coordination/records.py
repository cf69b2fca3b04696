"""Claim rows as stored, and their conversion to engine types and API dicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from coordination.core.model import ActiveClaim, Carve, ClaimType
from coordination.store.rows import ClaimRow
from coordination.store.tables import CLAIM_COLUMNS

__all__ = [
    "CLAIM_COLUMNS",
    "carves_from_json",
    "carves_to_json",
    "claim_brief",
    "conflict_entry",
    "from_epoch",
    "iso",
    "present_state",
    "to_active",
    "to_epoch",
]


def to_epoch(moment: datetime) -> float:
    return moment.timestamp()


def from_epoch(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def iso(value: float | None) -> str | None:
    moment = from_epoch(value)
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def carves_from_json(text: str) -> tuple[Carve, ...]:
    return tuple(Carve(path=c["path"], symbol=c["symbol"], by=c.get("by", 0)) for c in json.loads(text))


def carves_to_json(carves: tuple[Carve, ...] | list[Carve]) -> str:
    return json.dumps([{"path": c.path, "symbol": c.symbol, "by": c.by} for c in carves])


def to_active(row: ClaimRow) -> ActiveClaim:
    return ActiveClaim(
        id=row.id,
        repo_id=row.repo_id,
        engineer=row.engineer,
        type=ClaimType(row.type),
        pattern=row.pattern,
        expires_at=datetime.fromtimestamp(row.expires_at, UTC),
        symbols=tuple(json.loads(row.symbols)),
        narrowable=bool(row.narrowable),
        session_id=row.session_id,
        carved=carves_from_json(row.carved),
        fence=row.fence,
        partners=tuple(json.loads(row.coexists_with)),
    )


def present_state(row: ClaimRow, now: float, silent: frozenset[str] = frozenset()) -> str:
    """The state a reader is shown: an active row that no longer counts (its TTL ran out,
    or its session is among the `silent` ones) shows the state the sweep will give it."""
    if row.state == "active":
        if row.expires_at <= now:
            return "expired"
        if row.session_id is not None and row.session_id in silent:
            return "idle_expired"
    return str(row.state)


def claim_brief(claim: ActiveClaim) -> dict[str, Any]:
    """Who holds what, until when: the part of a claim conflict and verify answers show."""
    return {
        "claim_id": claim.id,
        "engineer": claim.engineer,
        "type": claim.type.value,
        "pattern": claim.pattern,
        "symbols": list(claim.symbols),
        "expires_at": claim.expires_at.isoformat().replace("+00:00", "Z"),
        "fence": claim.fence,
    }


def conflict_entry(claim: ActiveClaim, requested: str) -> dict[str, Any]:
    return {**claim_brief(claim), "requested_pattern": requested}
