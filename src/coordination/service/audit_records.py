"""What the audit trail's reads give back: frozen records, like `service.records`.

The API validates them into its response models (`from_attributes`); `as_json`
gives the same body where plain JSON is still sent (the live event stream).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from coordination.service.records import iso_z
from coordination.store.rows import AuditEventRow

__all__ = ["AuditEntry", "audit_entry"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded audit event as `GET /events` shows it: `detail` parsed, `created_at` an aware UTC datetime.

    (`AuditEvent` is what a use case records; this is what was recorded, with its id and time.)
    """

    id: int
    repo_id: str
    event_type: str
    engineer: str | None
    claim_id: int | None
    pattern: str | None
    detail: dict[str, Any]
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "repo_id": self.repo_id,
            "event_type": self.event_type,
            "engineer": self.engineer,
            "claim_id": self.claim_id,
            "pattern": self.pattern,
            "detail": self.detail,
            "created_at": iso_z(self.created_at),
        }


def audit_entry(row: AuditEventRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        repo_id=row.repo_id,
        event_type=row.event_type,
        engineer=row.engineer,
        claim_id=row.claim_id,
        pattern=row.pattern,
        detail=json.loads(row.detail),
        created_at=datetime.fromtimestamp(row.created_at, UTC),
    )
