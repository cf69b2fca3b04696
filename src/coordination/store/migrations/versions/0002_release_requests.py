"""Release requests: a blocked requester asks a holder to give up scope.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Epoch = sa.Float(precision=53)  # seconds since the epoch, UTC, in both dialects


def upgrade() -> None:
    op.create_table(
        "release_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo_id", sa.String(200), nullable=False),
        sa.Column("claim_id", sa.Integer, nullable=False),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("wanted_pattern", sa.Text, nullable=False),
        sa.Column("wanted_symbols", sa.Text, nullable=False, server_default="[]"),
        # The requester's session and TTL, used if the holder answers `coexist`.
        sa.Column("session_id", sa.String(64)),
        sa.Column("ttl_hours", sa.Float),
        # The holder's expiry before the clamp, restored by a cooperative answer.
        sa.Column("holder_expires_at", Epoch, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),  # open | answered | cancelled
        sa.Column("answer", sa.String(16)),  # release | narrow | coexist | deny
        sa.Column("answer_detail", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", Epoch, nullable=False),
        sa.Column("answered_at", Epoch),
    )
    op.create_index("ix_release_requests_claim", "release_requests", ["claim_id", "state"])
    op.create_index("ix_release_requests_holder", "release_requests", ["repo_id", "holder"])
    op.create_index("ix_release_requests_requester", "release_requests", ["repo_id", "requester"])


def downgrade() -> None:
    op.drop_table("release_requests")
