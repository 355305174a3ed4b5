"""
Satisfaction surveys: after a ticket is closed (or resolved), ask its requester how it went.

A [`SurveyPolicy`][deskflow.surveys.SurveyPolicy] decides, for a ticket that just reached
the desk's survey point, whether its requester is asked:

- *sampling*: ``sample_percent`` of the tickets are surveyed, chosen from a hash of the
  ticket id, so every process, a replay and a later report agree on which;
- *cooldown*: a requester who was sent a survey less than ``cooldown`` ago is not asked
  again (their other tickets' histories say when; see the policy's ``cooling_down``);
- a ticket already rated (closed with feedback) or already surveyed is not asked.

The decision is recorded on the ticket as a [`SurveySent`][deskflow.surveys.SurveySent]
event (carrying when the survey expires), and the requester is told of it through the
notification template ``satisfaction_survey``. The answer is the requester's feedback
(a [`FeedbackGiven`][deskflow.events.FeedbackGiven]: a rating of 1 to 5 and an optional
comment), taken until the survey expires and refused after
([`answer()`][deskflow.surveys.answer]).

>>> from datetime import datetime, timedelta, timezone
>>> policy = SurveyPolicy(sample_percent=50, cooldown=timedelta(days=30))
>>> [policy.sampled(f"INC-{n}") for n in range(1, 7)]
[True, False, True, True, False, False]
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final, Literal

import attrs

from deskflow._internal import checks as _checks
from deskflow.enums import Metric
from deskflow.events import FeedbackGiven, StateChanged
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.limits import Limits
from deskflow.states import Workflow
from deskflow.ticket import Event, Ticket

__all__ = [
    "SURVEY_TEMPLATE",
    "SurveyPolicy",
    "SurveySent",
    "answer",
    "last_survey",
    "survey_answered",
]

#: The notification template a survey is sent with.
SURVEY_TEMPLATE: Final = "satisfaction_survey"
#: Sampling is decided in steps of a hundredth of a percent.
_BUCKETS: Final = 10_000

SurveyPoint = Literal["close", "resolve"]


@attrs.frozen(kw_only=True)
class SurveySent(Event):
    """
    The requester was sent a satisfaction survey, open for answers until ``expires_at``.

    The requester sees it in the history of their ticket; ``template`` is the notification
    template it is sent with.
    """

    expires_at: datetime = attrs.field(converter=_checks.in_utc)
    template: str = SURVEY_TEMPLATE

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"satisfaction survey sent, open until {self.expires_at:%Y-%m-%d %H:%M} UTC"


def _percent(_instance: object, _attribute: object, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ConfigError(f"sample_percent must be a number from 0 to 100, got {value!r}")


def _cooldown(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ConfigError(f"cooldown must be a timedelta of zero or more, got {value!r}")


def _expiry(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ConfigError(f"expires_after must be a positive timedelta, got {value!r}")


def _template(value: object) -> str:
    try:
        return _checks.text("template", value)
    except InvalidInput as error:
        raise ConfigError(str(error)) from None


def _point(_instance: object, _attribute: object, value: object) -> None:
    if value not in ("close", "resolve"):
        raise ConfigError(f"surveys are sent on 'close' or 'resolve', got {value!r}")


@attrs.frozen(kw_only=True)
class SurveyPolicy:
    """
    When a desk asks requesters how their ticket went.

    ``on``: ``"close"`` (the default) sends the survey when a solved ticket is closed, by
    the requester, an agent or auto-close; ``"resolve"`` when the solution is given (a
    ticket resolved again after a reopening is not asked twice). ``sample_percent`` (0 to
    100) of the tickets are surveyed; a requester is asked at most once per ``cooldown``
    (zero: no cooldown); an answer is taken until ``expires_after`` has passed since the
    survey was sent. ``template`` is the notification template of the message.
    """

    on: SurveyPoint = attrs.field(default="close", validator=_point)
    sample_percent: float = attrs.field(default=100.0, validator=_percent)
    cooldown: timedelta = attrs.field(default=timedelta(days=30), validator=_cooldown)
    expires_after: timedelta = attrs.field(default=timedelta(days=14), validator=_expiry)
    template: str = attrs.field(default=SURVEY_TEMPLATE, converter=_template)

    def sampled(self, ticket_id: str) -> bool:
        """
        Whether the ticket ``ticket_id`` is in the sample: the first 8 bytes of the SHA-256
        of its id, modulo 10,000, fall below ``sample_percent`` hundredths. The same id is
        always in or always out, whichever process asks, and a ticket in the sample at some
        percentage stays in it at any higher one.

        >>> SurveyPolicy(sample_percent=0).sampled("INC-1"), SurveyPolicy().sampled("INC-1")
        (False, True)
        """
        digest = hashlib.sha256(_checks.text("ticket_id", ticket_id).encode()).digest()
        return int.from_bytes(digest[:8], "big") % _BUCKETS < round(self.sample_percent * 100)

    def reached(self, workflow: Workflow, before: Ticket | None, after: Ticket) -> bool:
        """
        Whether the events ``after`` has beyond ``before`` bring the ticket to the survey
        point: into a final state from a solved one (``"close"``; a cancelled ticket is no
        solution), or into a solved state (``"resolve"``). Solved states are those that stop
        the workflow's resolution clock (resolved, fulfilled).
        """
        solved = workflow.stops.get(Metric.RESOLUTION, frozenset())
        start = 0 if before is None else before.version
        for event in after.history[start:]:
            if not isinstance(event, StateChanged):
                continue
            if self.on == "close" and event.source in solved and event.dest in workflow.final:
                return True
            if self.on == "resolve" and event.dest in solved and event.source not in solved:
                return True
        return False

    def cooling_down(self, requester: str, tickets: Iterable[Ticket], now: datetime) -> bool:
        """
        Whether ``requester`` was sent a survey on one of ``tickets`` less than ``cooldown``
        before ``now``.
        """
        since = _checks.in_utc(_checks.aware("now", now)) - self.cooldown
        for ticket in tickets:
            if ticket.requester != requester:
                continue
            sent = last_survey(ticket)
            if sent is not None and sent.at > since:
                return True
        return False

    def offer(self, ticket: Ticket, now: datetime, *, actor: str = "system") -> Ticket:
        """
        ``ticket`` with a [`SurveySent`][deskflow.surveys.SurveySent] recorded at ``now``,
        or as it is if it is not in the sample, was rated already or was surveyed already.
        The cooldown is the caller's to check (it needs the requester's other tickets).
        """
        if not self.sampled(ticket.id) or ticket.feedback is not None:
            return ticket
        if last_survey(ticket) is not None:
            return ticket
        return ticket.record(
            SurveySent(
                at=now, actor=actor, expires_at=now + self.expires_after, template=self.template
            )
        )


def last_survey(ticket: Ticket) -> SurveySent | None:
    """
    The latest survey sent on ``ticket``, or None.
    """
    for event in reversed(ticket.history):
        if isinstance(event, SurveySent):
            return event
    return None


def survey_answered(ticket: Ticket) -> FeedbackGiven | None:
    """
    The answer to the latest survey of ``ticket``: the first feedback given after it was
    sent and before it expired; None if it was not answered (or no survey was sent).
    """
    sent = last_survey(ticket)
    if sent is None:
        return None
    for event in ticket.history[ticket.history.index(sent) + 1 :]:
        if isinstance(event, FeedbackGiven) and event.at < sent.expires_at:
            return event
    return None


def answer(
    ticket: Ticket,
    actor: str,
    now: datetime,
    *,
    rating: int,
    comment: str | None = None,
    limits: Limits | None = None,
) -> Ticket:
    """
    ``ticket`` with the requester's answer to its survey recorded as their feedback.

    Refused with [`InvalidInput`][deskflow.exceptions.InvalidInput] (and nothing recorded)
    when no survey was sent, when it expired (``now`` at or after its ``expires_at``) or when
    it was answered already; ``comment`` is held to ``limits.feedback_comment``.
    Who may answer is the authorization policy's ``feedback`` permission (by default, the
    ticket's own requester).
    """
    sent = last_survey(ticket)
    if sent is None:
        raise InvalidInput(f"no satisfaction survey was sent for {ticket.id}")
    now = _checks.aware("now", now)
    if now >= sent.expires_at:
        raise InvalidInput(
            f"the satisfaction survey of {ticket.id} expired at "
            f"{sent.expires_at:%Y-%m-%d %H:%M} UTC; answers are no longer taken"
        )
    if survey_answered(ticket) is not None:
        raise InvalidInput(f"the satisfaction survey of {ticket.id} was answered already")
    remark = None
    if comment is not None:
        remark = (limits or Limits()).check(
            "feedback_comment", _checks.text("comment", comment, keep_whitespace=True)
        )
    return ticket.record(FeedbackGiven(at=now, actor=actor, rating=rating, comment=remark))
