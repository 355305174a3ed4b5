"""
``find`` of the in-memory repository: the reference query, a scan with keyset paging.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import datetime

from deskflow.exceptions import InvalidInput
from deskflow.queries import (
    Page,
    TicketQuery,
    checked_limit,
    checked_order,
    decode_cursor,
    encode_cursor,
    sort_key,
)
from deskflow.ticket import Ticket


def checked_query(value: object) -> TicketQuery:
    """
    Return ``value`` if it is a TicketQuery, else raise InvalidInput.
    """
    if not isinstance(value, TicketQuery):
        raise InvalidInput(f"query must be a deskflow TicketQuery, got {type(value).__name__}")
    return value


def find_page(
    stored: Iterable[tuple[Ticket, datetime | None]],
    query: object,
    order: object,
    limit: object,
    after: object,
) -> Page[Ticket]:
    """
    One page of the ``stored`` (ticket, next check) pairs ``query`` matches, in ``order``,
    after the cursor ``after``.

    Every argument is checked before anything is read. Memory scans: the query's own
    ``matches`` decides, which makes this the reference every other adapter agrees with.
    """
    wanted = checked_query(query)
    by = checked_order(order)
    size = checked_limit(limit)
    start = None if after is None else decode_cursor(after, by)
    newest_first = by.startswith("-")
    keyed = []
    for ticket, next_check_at in stored:
        if not wanted.matches(ticket, next_check_at):
            continue
        key = sort_key(ticket, by)
        if start is not None and (key >= start if newest_first else key <= start):
            continue  # at or before the cursor, in the listing's direction
        keyed.append((key, ticket))
    # One more than the page, to know whether a next page exists.
    pick = heapq.nlargest if newest_first else heapq.nsmallest
    window = pick(size + 1, keyed, key=lambda pair: pair[0])
    page = window[:size]
    more = len(window) > size
    cursor = encode_cursor(by, page[-1][0]) if more else None
    return Page(tuple(ticket for _, ticket in page), next_cursor=cursor)
