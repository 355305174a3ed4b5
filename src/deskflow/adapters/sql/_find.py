"""
Listings of the SQL repository: a TicketQuery as SQL, keyset paging, tickets from their events.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from deskflow.adapters.sql import _rows
from deskflow.adapters.sql.schema import (
    events_table,
    field_values_table,
    tags_table,
    tickets_table,
)
from deskflow.fields import field_key
from deskflow.queries import Order, TicketQuery
from deskflow.ticket import Ticket

_t = tickets_table.c
_e = events_table.c
_f = field_values_table.c
_g = tags_table.c


def _in(column: sa.ColumnElement[Any], values: Any) -> sa.ColumnElement[bool]:
    return column.in_(sorted(values))


def _in_or_none(column: sa.ColumnElement[Any], values: Any) -> sa.ColumnElement[bool]:
    # None in the set stands for "nobody": the column is NULL.
    named = sorted(value for value in values if value is not None)
    options = [column.in_(named)] if named else []
    if None in values:
        options.append(column.is_(None))
    return sa.or_(sa.false(), *options)


def conditions(query: TicketQuery) -> list[sa.ColumnElement[bool]]:
    """
    The SQL conditions of ``query``: exactly what ``TicketQuery.matches`` accepts.
    """
    out: list[sa.ColumnElement[bool]] = []
    if query.states is not None:
        out.append(_in(_t.state, query.states))
    if query.kinds is not None:
        out.append(_in(_t.kind, {kind.value for kind in query.kinds}))
    if query.groups is not None:
        out.append(_in_or_none(_t.group_name, query.groups))
    if query.assignees is not None:
        out.append(_in_or_none(_t.assignee, query.assignees))
    if query.requesters is not None:
        out.append(_in(_t.requester, query.requesters))
    if query.priorities is not None:
        out.append(_in(_t.priority, {priority.value for priority in query.priorities}))
    if query.tiers is not None:
        out.append(_in(_t.tier, query.tiers))
    for column, start, end in (
        (_t.created_at, query.created_from, query.created_before),
        (_t.updated_at, query.updated_from, query.updated_before),
    ):
        if start is not None:
            out.append(column >= _rows.micros(start))
        if end is not None:
            out.append(column < _rows.micros(end))
    if query.breached is not None:
        out.append(_t.breached == query.breached)
    if query.due_before is not None:
        out.append(_t.next_check_at < _rows.micros(query.due_before))
    if query.title_contains is not None:
        # Both sides casefolded by Python, the wildcards escaped: a plain substring test.
        out.append(_t.title_folded.contains(query.title_contains.casefold(), autoescape=True))
    out.extend(_facets(query))
    return out


def _facets(query: TicketQuery) -> list[sa.ColumnElement[bool]]:
    # Custom fields and tags: each a lookup of ticket ids in its table's index by value.
    out: list[sa.ColumnElement[bool]] = []
    for name, wanted in (query.fields or {}).items():
        if wanted is None:
            out.append(_t.id.not_in(sa.select(_f.ticket_id).where(_f.field == name)))
        else:
            having = sa.select(_f.ticket_id).where(
                _f.field == name, _f.value_key == field_key(wanted)
            )
            out.append(_t.id.in_(having))
    for tag in sorted(query.tags_all or ()):
        out.append(_t.id.in_(sa.select(_g.ticket_id).where(_g.tag == tag)))
    if query.tags_any is not None:
        out.append(_t.id.in_(sa.select(_g.ticket_id).where(_g.tag.in_(sorted(query.tags_any)))))
    return out


def sort_column(order: Order) -> sa.ColumnElement[int]:
    """
    The column a listing in ``order`` sorts by, before the id.
    """
    return _t.updated_at if order.lstrip("-") == "updated" else _t.created_at


def after(order: Order, key: tuple[int, str]) -> sa.ColumnElement[bool]:
    """
    The tickets after the cursor ``key`` in a listing in ``order``.
    """
    row = sa.tuple_(sort_column(order), _t.id)
    bound = sa.tuple_(sa.literal(key[0], sa.BigInteger), sa.literal(key[1], sa.String))
    return row < bound if order.startswith("-") else row > bound


def listing(
    where: Sequence[sa.ColumnElement[bool]], order: Order, limit: int | None
) -> sa.Select[Any]:
    """
    One statement reading the events of the tickets ``where`` selects, in ``order``, at most
    ``limit`` tickets: rows of (ticket id, type, schema version, payload).
    """
    descending = order.startswith("-")
    key = sort_column(order)
    direction = sa.desc if descending else sa.asc
    page = (
        sa.select(_t.id, key.label("sort_key"))
        .where(*where)
        .order_by(direction(key), direction(_t.id))
        .limit(limit)
        .subquery("page")
    )
    return (
        sa.select(page.c.id, _e.type, _e.schema_version, _e.payload)
        .join_from(page, events_table, _e.ticket_id == page.c.id)
        .order_by(direction(page.c.sort_key), direction(page.c.id), _e.position)
    )


def tickets(rows: Sequence[Any]) -> list[Ticket]:
    """
    The tickets of ``listing`` rows, in their order.
    """
    return [
        _rows.replayed(ticket_id, [row[1:] for row in group])
        for ticket_id, group in itertools.groupby(rows, key=lambda row: row[0])
    ]
