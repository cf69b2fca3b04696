"""Claim queue: requesters waiting for a blocked scope, granted in order on release.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Epoch = sa.Float(precision=53)  # seconds since the epoch, UTC, in both dialects


def upgrade() -> None:
    op.create_table(
        "claim_queue",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo_id", sa.String(200), nullable=False),
        sa.Column("engineer", sa.String(200), nullable=False),
        sa.Column("session_id", sa.String(64)),
        # The claim request as sent: items, ttl_hours, branch, description.
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),  # low 0, normal 1, high 2, blocking 3
        # The repo's sequence number when the entry joined: monotonic per repo.
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),  # waiting | granted | cancelled | expired
        sa.Column("created_at", Epoch, nullable=False),
        sa.Column("deadline", Epoch, nullable=False),
        sa.Column("ended_at", Epoch),
        sa.Column("granted_claims", sa.Text, nullable=False, server_default="[]"),
        sa.Column("decisions", sa.Text, nullable=False, server_default="[]"),
        sa.Column("blocking_claims", sa.Text, nullable=False, server_default="[]"),
    )
    op.create_index("ix_claim_queue_waiting", "claim_queue", ["repo_id", "state", "position"])
    op.create_index("ix_claim_queue_engineer", "claim_queue", ["repo_id", "engineer"])


def downgrade() -> None:
    op.drop_table("claim_queue")
