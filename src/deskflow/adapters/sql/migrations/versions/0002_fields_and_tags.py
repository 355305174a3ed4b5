"""
Custom field values and tags, queryable: one row per set field, one row per tag.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen here, as in 0001: a migration keeps creating what it created when it was written.
NAME = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    # No rows to fill: the events that set fields and tags are newer than revision 0001.
    op.create_table(
        "deskflow_field_values",
        sa.Column("ticket_id", NAME, nullable=False),
        sa.Column("field", NAME, nullable=False),
        sa.Column("value_key", NAME, nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "field", name="deskflow_field_values_pkey"),
    )
    op.create_index(
        "ix_deskflow_field_values_field_value_key_ticket_id",
        "deskflow_field_values",
        ["field", "value_key", "ticket_id"],
    )
    op.create_table(
        "deskflow_tags",
        sa.Column("ticket_id", NAME, nullable=False),
        sa.Column("tag", NAME, nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "tag", name="deskflow_tags_pkey"),
    )
    op.create_index("ix_deskflow_tags_tag_ticket_id", "deskflow_tags", ["tag", "ticket_id"])


def downgrade() -> None:
    op.drop_table("deskflow_tags")
    op.drop_table("deskflow_field_values")
