"""Claim queue: a waiter's lease, so an entry nobody waits on any more is never granted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Epoch = sa.Float(precision=53)  # seconds since the epoch, UTC, in both dialects


def upgrade() -> None:
    # Renewed by the waiting call while it waits; a waiting entry whose lease has
    # passed (or that has none: it joined before this revision) is never granted.
    op.add_column("claim_queue", sa.Column("lease_until", Epoch))


def downgrade() -> None:
    op.drop_column("claim_queue", "lease_until")
