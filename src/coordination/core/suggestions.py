"""Human-readable next steps for a requester who was refused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from coordination.core.model import ActiveClaim


def _remaining(claim: ActiveClaim, now: datetime) -> str:
    minutes = max(0, int((claim.expires_at - now).total_seconds() // 60))
    if minutes >= 120:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def conflict_suggestion(blocking: Sequence[ActiveClaim], owners: Sequence[str], now: datetime) -> str:
    """One paragraph: who holds it, until when, and what the requester can do."""
    if not blocking:
        return ""
    holders = []
    for claim in blocking[:3]:
        scope = claim.pattern + (f" [{', '.join(claim.symbols)}]" if claim.symbols else "")
        holders.append(f"{claim.engineer} holds {scope} for {_remaining(claim, now)} more")
    if len(blocking) > 3:
        holders.append(f"and {len(blocking) - 3} more claims")
    text = "; ".join(holders) + ". "
    text += (
        "Wait for the release, ask the holder to release (POST /requests), or claim "
        "something else; in a shared file, claim only the symbols you edit."
    )
    if owners:
        text += f" Owners of this area: {', '.join(owners)}."
    return text
