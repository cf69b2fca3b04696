"""What the edit gate tells the agent: why a write was refused or warned about, the session-start
briefing, and the warning after a write to a file someone else holds (standard library only).

Loaded only when there is something to say (not on an allowed edit).
"""

from __future__ import annotations

import time

# typing is not imported at run time: the gate pays for every import on every call.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from coordination.gate.context import Context

__all__ = ["deny_reason", "session_briefing", "utc_epoch", "when", "written_warning"]


def when(iso: Any) -> str:
    if not isinstance(iso, str) or not iso:
        return "an unknown time"
    moment = utc_epoch(iso)
    if moment is None:
        return iso
    left = int(moment - time.time())
    if left <= 0:
        return f"{iso} (expired)"
    hours, rest = divmod(left, 3600)
    rel = f"{hours}h{rest // 60:02d}m" if hours else f"{max(rest // 60, 1)}m"
    return f"{iso} (in {rel})"


def utc_epoch(iso: str) -> float | None:
    """Seconds since the epoch of the server's `YYYY-MM-DDTHH:MM:SS[.f]Z` (no datetime import)."""
    try:
        year, month, day = int(iso[0:4]), int(iso[5:7]), int(iso[8:10])
        hour, minute, second = int(iso[11:13]), int(iso[14:16]), int(iso[17:19])
    except ValueError:
        return None
    if not iso.endswith(("Z", "+00:00")) or not 1 <= month <= 12:
        return None
    # days from civil (Howard Hinnant's algorithm)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return float(days * 86400 + hour * 3600 + minute * 60 + second)


def deny_reason(answer: dict[str, Any], ctx: Context) -> str:
    parts = []
    ids = []
    for c in answer.get("conflicts") or []:
        if not isinstance(c, dict):
            continue
        what = c.get("requested_pattern") or c.get("pattern")
        symbols = c.get("symbols") or []
        if symbols:
            what = f"{', '.join(map(str, symbols))} in {what}"
        scope = f" on {c.get('pattern')}" if c.get("pattern") and c.get("pattern") != c.get("requested_pattern") else ""
        parts.append(
            f"{what} is claimed by {c.get('engineer')} (claim #{c.get('claim_id')}{scope}, "
            f"expires {when(c.get('expires_at'))})"
        )
        if isinstance(c.get("claim_id"), int):
            ids.append(c["claim_id"])
    holders = sorted({str(c.get("engineer")) for c in answer.get("conflicts") or [] if isinstance(c, dict)})
    ask = f" (`coord request-release {min(ids)} --reason '...'`)" if ids else ""
    text = (
        f"coord refused this write: {'; '.join(parts)}. You are {ctx.engineer}. Do not write it now: work on "
        f"files nobody holds, wait until the claim expires or is released, or ask {', '.join(holders)} to "
        f"release it{ask}."
    )
    if answer.get("suggestion"):
        text += f" coord suggests: {answer['suggestion']}"
    return text


def session_briefing(answer: dict[str, Any], ctx: Context) -> str:
    """The note at session start: who the agent is, what it holds, the rule."""
    held = [c for c in answer.get("claims") or [] if isinstance(c, dict)]
    text = f"coord: you are {ctx.engineer} (session {ctx.session}, repo {ctx.repo_id})."
    if held:
        listed = ", ".join(f"{c.get('pattern')} (#{c.get('id')}, expires {c.get('expires_at')})" for c in held[:20])
        text += f" You hold {len(held)} claim(s): {listed}."
    text += " Edits to files other engineers hold are refused; files you edit are claimed for this session."
    return text


def written_warning(answer: dict[str, Any]) -> str | None:
    """The warning after a write that changed files another engineer holds (None when it changed none)."""
    new = [r for r in answer.get("recorded") or [] if isinstance(r, dict) and r.get("new")]
    if not new:
        return None
    listed = "; ".join(f"{r.get('path')} (held by {r.get('holder')}, claim #{r.get('claim_id')})" for r in new)
    return (
        f"coord: this write changed files another engineer holds: {listed}. It was recorded and the "
        "holder was told. Undo it or agree with the holder before going on."
    )
