"""
The first schema: append-only events, queryable ticket rows, the outbox, id counters.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen here, not imported from deskflow.adapters.sql.schema: a migration must keep
# creating what it created when it was written.
NAME = sa.String().with_variant(sa.String(collation="C"), "postgresql")
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "deskflow_tickets",
        sa.Column("id", NAME, nullable=False),
        sa.Column("kind", NAME, nullable=False),
        sa.Column("state", NAME, nullable=False),
        sa.Column("priority", NAME, nullable=True),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("group_name", NAME, nullable=True),
        sa.Column("assignee", NAME, nullable=True),
        sa.Column("requester", NAME, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_folded", sa.Text, nullable=False),
        sa.Column("alert_key", NAME, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("next_check_at", sa.BigInteger, nullable=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("breached", sa.Boolean, nullable=False),
        sa.Column("claimed_by", NAME, nullable=True),
        sa.Column("claimed_until", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("id", name="deskflow_tickets_pkey"),
    )
    for columns in (
        ("next_check_at", "id"),
        ("requester", "created_at", "id"),
        ("assignee", "created_at", "id"),
        ("state", "created_at", "id"),
        ("group_name", "created_at", "id"),
        ("alert_key",),
        ("created_at", "id"),
        ("updated_at", "id"),
    ):
        op.create_index(f"ix_deskflow_tickets_{'_'.join(columns)}", "deskflow_tickets", columns)
    op.create_table(
        "deskflow_events",
        sa.Column("ticket_id", NAME, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("type", NAME, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "position", name="deskflow_events_pkey"),
    )
    op.create_table(
        "deskflow_outbox",
        sa.Column("seq", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("dedup_key", NAME, nullable=False),
        sa.Column("ticket_id", NAME, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("status", NAME, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("claimed_by", NAME, nullable=True),
        sa.Column("claimed_until", sa.BigInteger, nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.UniqueConstraint("dedup_key", name="deskflow_outbox_dedup_key_key"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_deskflow_outbox_status_created_at_seq",
        "deskflow_outbox",
        ["status", "created_at", "seq"],
    )
    op.create_table(
        "deskflow_counters",
        sa.Column("prefix", NAME, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("prefix", name="deskflow_counters_pkey"),
    )


def downgrade() -> None:
    for table in ("deskflow_counters", "deskflow_outbox", "deskflow_events", "deskflow_tickets"):
        op.drop_table(table)
