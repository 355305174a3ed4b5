"""
The survey command of [`HelpDesk`][deskflow.service.HelpDesk], as a mixin over the one
pipeline: a requester answers the satisfaction survey of their ticket, closed or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from deskflow import surveys
from deskflow._internal.pipeline import Pipeline, checked_actor
from deskflow.actors import Actor
from deskflow.authorization import Permission
from deskflow.ticket import Ticket
from deskflow.views import TicketView

__all__ = ["SurveyCommands"]


class SurveyCommands(Pipeline):
    """
    ``answer_survey``: the requester's rating (and comment) in answer to a survey.
    """

    def answer_survey(
        self, actor: Actor, ticket_id: str, *, rating: int, comment: str | None = None
    ) -> TicketView:
        """
        Record the answer to the ticket's satisfaction survey as the requester's feedback (a
        rating of 1 to 5 and an optional comment), even on a closed ticket: the one entry a
        final ticket takes. It needs the ``feedback`` permission (by default the ticket's own
        requester, once it is resolved, fulfilled or closed); it is refused with
        ``InvalidInput`` when no survey was sent, after the survey expired, or when it was
        answered already.
        """
        actor = checked_actor(actor)

        def decide(
            loaded: tuple[Ticket, ...], _new: tuple[str, ...], now: datetime
        ) -> tuple[Sequence[Ticket], Sequence[str]]:
            ticket = surveys.answer(
                loaded[0],
                actor.id,
                now,
                rating=rating,
                comment=comment,
                limits=self.desk.limits,
            )
            return (ticket,), (ticket.id,)

        # A closed ticket takes this answer: the load does not refuse final tickets.
        return self._run(actor, [(ticket_id, Permission.FEEDBACK, False)], decide)[0]
