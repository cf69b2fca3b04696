"""The store's row records (`coordination.store.rows`): built from the driver's row tuples,
their fields in the order of their SELECT's columns, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

import pytest

from coordination.core.model import ClaimItem, ClaimType
from coordination.service import ClaimRequest, ClaimService
from coordination.store import claims as claim_rows
from coordination.store import rows, tables


@pytest.mark.parametrize(
    ("record", "table"),
    [
        (rows.ClaimRow, tables.claims),
        (rows.QueueRow, tables.claim_queue),
        (rows.RequestRow, tables.release_requests),
        (rows.AuditEventRow, tables.request_event),
    ],
)
def test_a_whole_row_record_has_its_tables_columns_in_order(record: type, table: object) -> None:
    assert rows.field_names(record) == tuple(c.name for c in table.columns)  # type: ignore[attr-defined]
    assert record.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert "__slots__" in record.__dict__


def test_the_claim_repository_reads_typed_rows(service: ClaimService) -> None:
    granted = service.claim(
        ClaimRequest(engineer="ana", items=[ClaimItem(ClaimType.FILE, "src/a.py")], session_id="s1")
    ).claims[0]
    with service.store.read() as tx:
        row = claim_rows.by_id(tx, granted.id)
        assert isinstance(row, rows.ClaimRow)
        assert (row.id, row.engineer, row.pattern, row.state, row.fence) == (
            granted.id,
            "ana",
            "src/a.py",
            "active",
            granted.fence,
        )
        assert bool(row.narrowable) and row.ended_at is None and isinstance(row.expires_at, float)
        assert claim_rows.held_by_others(tx, [granted.id], "bo") == [(granted.id, "ana")]
        assert claim_rows.partner_fields(tx, granted.id) == ("[]", "[]")
        upto, changed = claim_rows.changes_upto_committed(tx, "default", 0)
        assert upto >= granted.fence and changed == [row]
        assert claim_rows.by_id(tx, granted.id + 1000) is None
    with service.store.write("default") as tx:
        sent = claim_rows.by_id_sent(tx, granted.id)
        missing = claim_rows.by_id_sent(tx, granted.id + 1000)
        assert sent.one() == row and sent.all() == [row]
        assert missing.one() is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.state = "released"  # type: ignore[misc]
