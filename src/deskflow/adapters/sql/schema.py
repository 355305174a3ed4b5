"""
The tables of the SQL repository, as SQLAlchemy Core ``Table`` objects.

They describe the schema the shipped migrations create (``deskflow db upgrade URL``, or
[`upgrade()`][deskflow.adapters.sql.upgrade]); the repository never creates them itself. Every
name starts with ``deskflow_``, so the tables sit beside a host's own:

- ``deskflow_events``: the history, append-only, one row per event keyed by ``(ticket_id,
  position)``, with the event's registered type name, its schema version and its fields as
  JSON. The key refuses a second writer appending at the same position: a lost race.
- ``deskflow_tickets``: one row per ticket of the columns listings filter and sort on,
  rewritten by every save in the same transaction, with the ticket's claim (``claimed_by``,
  ``claimed_until``).
- ``deskflow_outbox``: one row per notification ever queued, with its delivery bookkeeping.
- ``deskflow_counters``: one row per id prefix, the last ticket number handed out.
- ``deskflow_field_values``: one row per set custom field of a ticket, its value as
  [`field_key`][deskflow.fields.field_key] (what ``TicketQuery.fields`` compares), and
  ``deskflow_tags``: one row per tag of a ticket; both rewritten for a ticket by a save whose
  events change its fields or tags, and indexed by value for the filters.

Instants are integer microseconds since the Unix epoch in UTC, so the database compares and
orders them exactly whatever zone they came in. Ids compare by code point everywhere: on
PostgreSQL their columns use the ``"C"`` collation (byte order of UTF-8, which is code point
order), as SQLite's default does, so ties sort the same in every store.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "counters_table",
    "events_table",
    "field_values_table",
    "metadata",
    "outbox_table",
    "tags_table",
    "tickets_table",
]

#: Constraint and index names the migrations use too; errors name them.
metadata = sa.MetaData(
    naming_convention={
        "pk": "%(table_name)s_pkey",
        "uq": "%(table_name)s_%(column_0_name)s_key",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "ck": "%(table_name)s_%(constraint_name)s_check",
    }
)

#: An id or a name: compared by code point on every database.
Name = sa.String().with_variant(sa.String(collation="C"), "postgresql")
#: A 64-bit number; on SQLite an INTEGER, the only type that autoincrements there.
Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

tickets_table = sa.Table(
    "deskflow_tickets",
    metadata,
    sa.Column("id", Name, primary_key=True),
    sa.Column("kind", Name, nullable=False),
    sa.Column("state", Name, nullable=False),
    sa.Column("priority", Name, nullable=True),
    sa.Column("tier", sa.Integer, nullable=False),
    sa.Column("group_name", Name, nullable=True),
    sa.Column("assignee", Name, nullable=True),
    sa.Column("requester", Name, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    # str.casefold() of the title: SQL's lower() differs from it beyond ASCII, so a title
    # search matches this column with LIKE, exactly as TicketQuery.matches does.
    sa.Column("title_folded", sa.Text, nullable=False),
    sa.Column("alert_key", Name, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("next_check_at", sa.BigInteger, nullable=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("breached", sa.Boolean, nullable=False),
    sa.Column("claimed_by", Name, nullable=True),
    sa.Column("claimed_until", sa.BigInteger, nullable=True),
    # With the id in it, the index alone answers `due`, already in its order.
    sa.Index(None, "next_check_at", "id"),
    sa.Index(None, "requester", "created_at", "id"),
    sa.Index(None, "assignee", "created_at", "id"),
    sa.Index(None, "state", "created_at", "id"),
    sa.Index(None, "group_name", "created_at", "id"),
    sa.Index(None, "alert_key"),
    sa.Index(None, "created_at", "id"),
    sa.Index(None, "updated_at", "id"),
)

events_table = sa.Table(
    "deskflow_events",
    metadata,
    sa.Column("ticket_id", Name, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("type", Name, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("ticket_id", "position"),
)

outbox_table = sa.Table(
    "deskflow_outbox",
    metadata,
    # The queue order: it only grows (sqlite_autoincrement: SQLite never reuses a number).
    sa.Column("seq", Serial, primary_key=True, autoincrement=True),
    sa.Column("dedup_key", Name, nullable=False),
    sa.Column("ticket_id", Name, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    # 'pending', 'delivered' or 'dead'.
    sa.Column("status", Name, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.BigInteger, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("claimed_by", Name, nullable=True),
    sa.Column("claimed_until", sa.BigInteger, nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    # A key is queued once ever.
    sa.UniqueConstraint("dedup_key"),
    # A claiming round reads the pending items in queue order from this index.
    sa.Index(None, "status", "created_at", "seq"),
    sqlite_autoincrement=True,
)

counters_table = sa.Table(
    "deskflow_counters",
    metadata,
    sa.Column("prefix", Name, primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

field_values_table = sa.Table(
    "deskflow_field_values",
    metadata,
    sa.Column("ticket_id", Name, nullable=False),
    sa.Column("field", Name, nullable=False),
    sa.Column("value_key", Name, nullable=False),
    sa.PrimaryKeyConstraint("ticket_id", "field"),
    # A filter on a value reads the ids having it from this index alone.
    sa.Index(None, "field", "value_key", "ticket_id"),
)

tags_table = sa.Table(
    "deskflow_tags",
    metadata,
    sa.Column("ticket_id", Name, nullable=False),
    sa.Column("tag", Name, nullable=False),
    sa.PrimaryKeyConstraint("ticket_id", "tag"),
    sa.Index(None, "tag", "ticket_id"),
)
