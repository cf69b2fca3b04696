"""The tables, defined once with SQLAlchemy Core: the schema the Alembic migrations build.

`tests/schema/test_tables.py` migrates a fresh SQLite and PostgreSQL database and
checks every table, column, type family, nullability and index here against it, so a
migration that changes the schema changes this file too. The store's statements
take their column lists from here (`columns`).
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "CLAIM_COLUMNS",
    "QUEUE_COLUMNS",
    "REQUEST_COLUMNS",
    "Epoch",
    "claim_queue",
    "claims",
    "columns",
    "metadata",
    "notices",
    "ownership",
    "release_requests",
    "repo_state",
    "request_event",
    "sessions",
    "webhook_outbox",
]

Epoch = sa.Float(precision=53)  # seconds since the epoch, UTC, in both dialects

metadata = sa.MetaData()

repo_state = sa.Table(
    "repo_state",
    metadata,
    sa.Column("repo_id", sa.String(200), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
)

claims = sa.Table(
    "claims",
    metadata,
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
    sa.Index("ix_claims_repo_seq", "repo_id", "seq"),
    sa.Index("ix_claims_state_expires", "state", "expires_at"),
    sa.Index("ix_claims_engineer", "engineer"),
    sa.Index("ix_claims_session", "session_id"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("engineer", sa.String(200)),
    sa.Column("last_seen", Epoch, nullable=False),
)

request_event = sa.Table(
    "request_event",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("repo_id", sa.String(200), nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False),
    sa.Column("engineer", sa.String(200)),
    sa.Column("claim_id", sa.Integer),
    sa.Column("pattern", sa.Text),
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    sa.Column("created_at", Epoch, nullable=False),
    sa.Index("ix_event_repo_time", "repo_id", "created_at"),
    sa.Index("ix_event_type_time", "event_type", "created_at"),
)

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("repo_id", sa.String(200), nullable=False),
    sa.Column("engineer", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("claim_id", sa.Integer),
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    sa.Column("created_at", Epoch, nullable=False),
    sa.Column("seen_at", Epoch),
    sa.Index("ix_notices_engineer", "engineer", "seen_at"),
)

ownership = sa.Table(
    "ownership",
    metadata,
    sa.Column("repo_id", sa.String(200), primary_key=True),
    sa.Column("yaml", sa.Text, nullable=False),
    sa.Column("updated_at", Epoch, nullable=False),
)

release_requests = sa.Table(
    "release_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("repo_id", sa.String(200), nullable=False),
    sa.Column("claim_id", sa.Integer, nullable=False),
    sa.Column("requester", sa.String(200), nullable=False),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("wanted_pattern", sa.Text, nullable=False),
    sa.Column("wanted_symbols", sa.Text, nullable=False, server_default="[]"),
    sa.Column("session_id", sa.String(64)),
    sa.Column("ttl_hours", sa.Float),
    sa.Column("holder_expires_at", Epoch, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # open | answered | cancelled
    sa.Column("answer", sa.String(16)),  # release | narrow | coexist | deny
    sa.Column("answer_detail", sa.Text, nullable=False, server_default="{}"),
    sa.Column("created_at", Epoch, nullable=False),
    sa.Column("answered_at", Epoch),
    sa.Index("ix_release_requests_claim", "claim_id", "state"),
    sa.Index("ix_release_requests_holder", "repo_id", "holder"),
    sa.Index("ix_release_requests_requester", "repo_id", "requester"),
)

claim_queue = sa.Table(
    "claim_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("repo_id", sa.String(200), nullable=False),
    sa.Column("engineer", sa.String(200), nullable=False),
    sa.Column("session_id", sa.String(64)),
    sa.Column("request", sa.Text, nullable=False),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),  # low 0, normal 1, high 2, blocking 3
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # waiting | granted | cancelled | expired | abandoned
    sa.Column("created_at", Epoch, nullable=False),
    sa.Column("deadline", Epoch, nullable=False),
    sa.Column("ended_at", Epoch),
    sa.Column("granted_claims", sa.Text, nullable=False, server_default="[]"),
    sa.Column("decisions", sa.Text, nullable=False, server_default="[]"),
    sa.Column("blocking_claims", sa.Text, nullable=False, server_default="[]"),
    sa.Column("lease_until", Epoch),
    sa.Index("ix_claim_queue_waiting", "repo_id", "state", "position"),
    sa.Index("ix_claim_queue_engineer", "repo_id", "engineer"),
)

webhook_outbox = sa.Table(
    "webhook_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("repo_id", sa.String(200), nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | delivered | exhausted
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", Epoch, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("last_status", sa.Integer),
    sa.Column("created_at", Epoch, nullable=False),
    sa.Column("delivered_at", Epoch),
    sa.Index("ix_webhook_outbox_due", "state", "next_attempt_at"),
    sa.Index("ix_webhook_outbox_created", "created_at"),
)


def columns(table: sa.Table) -> str:
    """The table's columns, comma-separated in definition order (a SELECT list)."""
    return ", ".join(c.name for c in table.columns)


CLAIM_COLUMNS = columns(claims)
QUEUE_COLUMNS = columns(claim_queue)
REQUEST_COLUMNS = columns(release_requests)
