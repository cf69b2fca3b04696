"""Metrics computed from the audit trail (request_event rows).

Counting happens in Python from plain rows, so the numbers are the same on
SQLite and PostgreSQL whatever their date functions would say.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from coordination import records
from coordination.errors import Invalid
from coordination.service import ClaimService

MAX_DAYS = 365
AUTO_EVENTS = {"auto-coexist": "auto_coexist", "auto-narrow": "auto_narrow"}


def auto_resolutions(service: ClaimService, days: int = 30, repo_id: str | None = None) -> dict[str, Any]:
    """Per repo, one entry per UTC day (oldest first, zero days included) of the
    `auto-coexist` and `auto-narrow` events of the last `days` days, today included.

    Repos listed: every repo with any audit event in the window (so a repo whose
    claims never auto-resolved shows a row of zeros), or only `repo_id` if given.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise Invalid(f"days must be a whole number from 1 to {MAX_DAYS}, not {days!r}")
    service._check_identity(None, repo_id, None)
    today = service.clock().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    since = records.to_epoch(datetime(first.year, first.month, first.day, tzinfo=UTC))
    marks = ", ".join("?" * len(AUTO_EVENTS))
    sql = f"SELECT repo_id, event_type, created_at FROM request_event WHERE event_type IN ({marks}) AND created_at >= ?"
    params: list[Any] = [*AUTO_EVENTS, since]
    if repo_id:
        sql += " AND repo_id = ?"
        params.append(repo_id)
    with service.store.read() as tx:
        rows = tx.all(sql, params)
        if repo_id:
            repos = {repo_id}
        else:
            active = tx.all("SELECT DISTINCT repo_id FROM request_event WHERE created_at >= ?", (since,))
            repos = {r["repo_id"] for r in active}
    counts: Counter[tuple[str, str, str]] = Counter()
    for row in rows:
        day = datetime.fromtimestamp(row["created_at"], UTC).date()
        if day <= today:
            counts[(row["repo_id"], day.isoformat(), AUTO_EVENTS[row["event_type"]])] += 1
    repos |= {repo for repo, _, _ in counts}
    dates = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    return {
        "days": days,
        "since": first.isoformat(),
        "until": today.isoformat(),
        "repos": {
            repo: [{"date": d, **{key: counts[(repo, d, key)] for key in AUTO_EVENTS.values()}} for d in dates]
            for repo in sorted(repos)
        },
    }
