"""Webhook outbox: events to POST to COORD_WEBHOOK_URL, written with their audit row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Epoch = sa.Float(precision=53)  # seconds since the epoch, UTC, in both dialects


def upgrade() -> None:
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        # The exact JSON body that is POSTed (and signed), byte for byte.
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),  # pending | delivered | exhausted
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        # When a pending row is due; while a delivery loop sends it, the end of its lease.
        sa.Column("next_attempt_at", Epoch, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("last_status", sa.Integer),
        sa.Column("created_at", Epoch, nullable=False),
        sa.Column("delivered_at", Epoch),
    )
    op.create_index("ix_webhook_outbox_due", "webhook_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_webhook_outbox_created", "webhook_outbox", ["created_at"])


def downgrade() -> None:
    op.drop_table("webhook_outbox")
