"""
What one ticket contributes to a desk report ([`deskflow.reports`][deskflow.reports]).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import attrs

from deskflow._internal.sla_timeline import AGENT_ROLES
from deskflow.enums import Metric, Trigger, Visibility
from deskflow.events import CommentAdded, FeedbackGiven, StateChanged
from deskflow.sla import SlaPolicy
from deskflow.states import Workflow
from deskflow.surveys import last_survey, survey_answered
from deskflow.ticket import Ticket

__all__ = ["Facts", "as_of", "facts_of", "utc"]


def utc(value: datetime) -> datetime:
    """
    ``value`` in UTC.
    """
    # Python compares and subtracts two datetimes of one zone by their wall clocks, which
    # is an hour off across a DST change; in UTC it is real time.
    return value.astimezone(UTC)


@attrs.frozen
class Facts:
    """
    What one ticket (as of now) contributes to a report; instants in UTC.
    """

    ticket: Ticket
    opened_at: datetime
    backlog: bool
    resolved_at: datetime | None
    business_to_resolve: timedelta | None
    first_response_at: datetime | None
    first_contact: bool
    reopened: bool
    escalated: bool
    rating: tuple[datetime, int] | None
    #: Each decided SLA clock: (metric, when it was decided, met without breach).
    clocks: tuple[tuple[Metric, datetime, bool], ...]
    #: The latest satisfaction survey: when it was sent, and whether it was answered.
    survey: tuple[datetime, bool] | None = None


def as_of(ticket: Ticket, now: datetime) -> Ticket | None:
    """
    ``ticket`` as it was at ``now``, or None if it did not exist yet.
    """
    # Reporting on a past instant from today's histories: later events did not happen yet.
    if utc(ticket.updated_at) <= now:
        return ticket
    if utc(ticket.created_at) > now:
        return None
    return Ticket.replay(itertools.takewhile(lambda event: utc(event.at) <= now, ticket.history))


def facts_of(ticket: Ticket, workflow: Workflow, policy: SlaPolicy | None, now: datetime) -> Facts:
    """
    What ``ticket`` contributes to a report made at ``now``.
    """
    # The states that stop the resolution clock are where a solution was given (resolved,
    # fulfilled); final states also stop it, but a cancellation is no solution.
    solved = workflow.stops.get(Metric.RESOLUTION, frozenset())
    final = workflow.final
    group, tier = ticket.opened.group, ticket.opened.tier
    top_tier = tier
    resolved_at: datetime | None = None
    first_response_at: datetime | None = None
    rating: tuple[datetime, int] | None = None
    moved = asked = reopened = False
    for event in ticket.history:
        if isinstance(event, StateChanged):
            if event.dest in solved:
                if event.source not in solved:
                    resolved_at = utc(event.at)
            elif event.source in solved and event.dest not in final:
                reopened, resolved_at = True, None
            if event.group is not None and event.group != group:
                # The first group a ticket gets is its first contact, not a reassignment.
                moved = moved or group is not None
                group = event.group
            if event.tier is not None and event.tier != tier:
                moved, tier, top_tier = True, event.tier, max(top_tier, event.tier)
            asked = asked or event.trigger == Trigger.REQUEST_INFO
        elif isinstance(event, CommentAdded):
            if (
                first_response_at is None
                and event.visibility is Visibility.PUBLIC
                and event.author_role in AGENT_ROLES
            ):
                first_response_at = utc(event.at)
        elif isinstance(event, FeedbackGiven):
            rating = (utc(event.at), event.rating)
    business: timedelta | None = None
    clocks: list[tuple[Metric, datetime, bool]] = []
    if policy is not None:
        if resolved_at is not None:
            business = policy.calendar_for(ticket).elapsed(ticket.created_at, resolved_at)
        for metric, clock in policy.evaluate(ticket, now).clocks.items():
            if clock.target is None:
                continue
            if clock.breached_at is not None:
                clocks.append((metric, utc(clock.breached_at), False))
            elif clock.met_at is not None:
                clocks.append((metric, utc(clock.met_at), True))
    sent = last_survey(ticket)
    return Facts(
        ticket=ticket,
        opened_at=utc(ticket.created_at),
        backlog=ticket.state not in final and ticket.state not in solved,
        resolved_at=resolved_at,
        business_to_resolve=business,
        first_response_at=first_response_at,
        first_contact=resolved_at is not None and not (moved or asked or reopened),
        reopened=reopened,
        escalated=top_tier >= 2,
        rating=rating,
        clocks=tuple(clocks),
        survey=None if sent is None else (utc(sent.at), survey_answered(ticket) is not None),
    )
