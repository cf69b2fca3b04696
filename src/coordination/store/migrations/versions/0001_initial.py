"""Claims, sessions, audit events, per-repo sequence, ownership.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Epoch = sa.Float(precision=53)  # seconds since the epoch, UTC, in both dialects


def upgrade() -> None:
    op.create_table(
        "repo_state",
        sa.Column("repo_id", sa.String(200), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo_id", sa.String(200), nullable=False),
        sa.Column("engineer", sa.String(200), nullable=False),
        sa.Column("session_id", sa.String(64)),
        sa.Column("branch", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("pattern", sa.Text, nullable=False),
        sa.Column("symbols", sa.Text, nullable=False, server_default="[]"),
        sa.Column("narrowable", sa.Boolean, nullable=False),
        sa.Column("carved", sa.Text, nullable=False, server_default="[]"),
        sa.Column("coexists_with", sa.Text, nullable=False, server_default="[]"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", Epoch, nullable=False),
        sa.Column("expires_at", Epoch, nullable=False),
        sa.Column("ended_at", Epoch),
        sa.Column("fence", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_claims_repo_seq", "claims", ["repo_id", "seq"])
    op.create_index("ix_claims_state_expires", "claims", ["state", "expires_at"])
    op.create_index("ix_claims_engineer", "claims", ["engineer"])
    op.create_index("ix_claims_session", "claims", ["session_id"])
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("engineer", sa.String(200)),
        sa.Column("last_seen", Epoch, nullable=False),
    )
    op.create_table(
        "request_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("engineer", sa.String(200)),
        sa.Column("claim_id", sa.Integer),
        sa.Column("pattern", sa.Text),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", Epoch, nullable=False),
    )
    op.create_index("ix_event_repo_time", "request_event", ["repo_id", "created_at"])
    op.create_index("ix_event_type_time", "request_event", ["event_type", "created_at"])
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo_id", sa.String(200), nullable=False),
        sa.Column("engineer", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("claim_id", sa.Integer),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", Epoch, nullable=False),
        sa.Column("seen_at", Epoch),
    )
    op.create_index("ix_notices_engineer", "notices", ["engineer", "seen_at"])
    op.create_table(
        "ownership",
        sa.Column("repo_id", sa.String(200), primary_key=True),
        sa.Column("yaml", sa.Text, nullable=False),
        sa.Column("updated_at", Epoch, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ownership")
    op.drop_table("notices")
    op.drop_table("request_event")
    op.drop_table("sessions")
    op.drop_table("claims")
    op.drop_table("repo_state")
