"""
Where the command pipeline decides a satisfaction survey: after a decision (and its rules)
brought a ticket to the desk's survey point, before the notifications are queued, so the
survey's message is saved in the same write as the close (or the resolution) that caused it.

The cooldown is derived from what is stored: the requester's tickets updated within the
cooldown are read through the repository and their histories say when each was last
surveyed. Every process therefore sees the same cooldown. Two tickets of one requester
closed at the same moment by two processes may both be surveyed (neither saw the other's
survey yet); a cooldown is a courtesy, not an invariant, so the desk does not lock for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from deskflow.desk import Desk
from deskflow.ports import TicketRepository
from deskflow.queries import TicketQuery
from deskflow.ticket import Ticket

__all__ = ["offer_survey"]

#: How many of the requester's recently updated tickets are read per page.
_PAGE = 100


def _recent(repository: TicketRepository, requester: str, since: datetime) -> Iterator[Ticket]:
    # A survey sent after ``since`` updated its ticket after ``since``: the listing finds it;
    # the latest first, so a requester cooling down is found on the first page.
    query = TicketQuery(requesters={requester}, updated_from=since)
    cursor: str | None = None
    while True:
        page = repository.find(query, order="-updated", limit=_PAGE, after=cursor)
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


def offer_survey(
    desk: Desk,
    repository: TicketRepository,
    before: Ticket | None,
    after: Ticket,
    now: datetime,
) -> Ticket:
    """
    ``after`` with a survey sent if this decision brought it to the survey point, it is in
    the sample, it is neither rated nor surveyed yet and its requester is not cooling down.
    """
    policy = desk.surveys
    if policy is None or not policy.reached(desk.workflow_for(after), before, after):
        return after
    offered = policy.offer(after, now)
    if offered is after:
        return after
    if policy.cooldown and policy.cooling_down(
        after.requester, _recent(repository, after.requester, now - policy.cooldown), now
    ):
        return after
    return offered
