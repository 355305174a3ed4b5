"""
The events that make up a ticket's history: its audit trail.

Events are frozen. Each knows how to apply itself to a ticket
([`Event.apply_to()`][deskflow.ticket.Event.apply_to]), so ``Ticket.replay(history)`` is a plain
fold and a host can define events of its own by subclassing [`Event`][deskflow.ticket.Event].
``internal`` events are staff-only: they never reach a requester through any read path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs

from deskflow._internal import event_fields as _fields
from deskflow.enums import (
    Audience,
    Impact,
    LinkKind,
    Metric,
    Priority,
    TicketKind,
    Urgency,
    Visibility,
)
from deskflow.exceptions import InvalidInput
from deskflow.fields import FieldsChanged, TagsChanged
from deskflow.ticket import Comment, Event, Feedback, Link, Ticket, check_rating

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Acknowledged",
    "ActionFired",
    "ApprovalDecided",
    "ApprovalRequested",
    "Classified",
    "CommentAdded",
    "Escalated",
    "Event",
    "FeedbackGiven",
    "FieldsChanged",
    "Linked",
    "NotificationQueued",
    "PriorityChanged",
    "RuleFired",
    "RuleNotified",
    "SlaThresholdReached",
    "StateChanged",
    "TagsChanged",
    "TicketOpened",
]


@attrs.frozen(kw_only=True)
class TicketOpened(Event):
    """
    The ticket was logged. Always the first event of a history.
    """

    ticket_id: str
    kind: TicketKind
    title: str
    description: str = ""
    requester: str
    state: str
    category: str | None = None
    service: str | None = None
    impact: Impact | None = None
    urgency: Urgency | None = None
    priority: Priority | None = None
    group: str | None = None
    tier: int = 1
    alert_key: str | None = None

    def __attrs_post_init__(self) -> None:
        # Opening is where untrusted input enters, so every field is checked here, once.
        _fields.check_opened(self)

    def open(self) -> Ticket:
        """
        The ticket as it was when it was opened.
        """
        return Ticket(
            self,
            self.state,
            self.at,
            self.category,
            self.service,
            self.impact,
            self.urgency,
            self.priority,
            None,
            self.tier,
            self.group,
            history=(self,),
        )

    def apply_to(self, ticket: Ticket) -> Ticket:
        """
        A ticket is opened once; opening it again is an error.
        """
        raise InvalidInput(f"ticket {ticket.id} is already open")

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"opened {self.kind.value} {self.ticket_id!r}: {self.title}"


@attrs.frozen(kw_only=True)
class Classified(Event):
    """
    Category, service, impact or urgency were set or re-assessed (None keeps the old value).
    """

    category: str | None = attrs.field(default=None, converter=_fields.category)
    service: str | None = attrs.field(default=None, converter=_fields.service)
    impact: Impact | None = attrs.field(default=None, converter=_fields.impact)
    urgency: Urgency | None = attrs.field(default=None, converter=_fields.urgency)
    reason: str | None = None

    def apply_to(self, ticket: Ticket) -> Ticket:
        """
        Apply the new classification.
        """
        return ticket.evolve(
            self,
            category=self.category if self.category is not None else ticket.category,
            service=self.service if self.service is not None else ticket.service,
            impact=self.impact if self.impact is not None else ticket.impact,
            urgency=self.urgency if self.urgency is not None else ticket.urgency,
        )

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        parts = [
            f"{name}={value}"
            for name, value in (
                ("category", self.category),
                ("service", self.service),
                ("impact", self.impact),
                ("urgency", self.urgency),
            )
            if value is not None
        ]
        return "classified " + ", ".join(parts) + (f" ({self.reason})" if self.reason else "")


@attrs.frozen(kw_only=True)
class PriorityChanged(Event):
    """
    The priority was set by a policy (``rule`` says which) or overridden by hand.
    """

    # Converted, as every enum field of an event: "P2" from JSON or a host is Priority.P2.
    priority: Priority = attrs.field(converter=_fields.priority)
    previous: Priority | None = attrs.field(default=None, converter=_fields.optional_priority)
    reason: str | None = None
    rule: str | None = None
    manual: bool = False

    def apply_to(self, ticket: Ticket) -> Ticket:
        """
        Apply the new priority.
        """
        return ticket.evolve(self, priority=self.priority)

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        how = "overridden" if self.manual else "set"
        why = self.reason or self.rule
        return f"priority {how} {self.previous or '-'} -> {self.priority}" + (
            f" ({why})" if why else ""
        )


@attrs.frozen(kw_only=True)
class StateChanged(Event):
    """
    A trigger moved the ticket from ``source`` to ``dest``.

    The optional fields carry what the transition set: the group, assignee and tier of an
    assignment or escalation, the reason of a hold, the text of a resolution. ``extra``
    holds further details of custom workflows as sorted (name, value) pairs.
    """

    trigger: str
    source: str
    dest: str
    reason: str | None = None
    resolution: str | None = None
    hold_reason: str | None = attrs.field(default=None, converter=_fields.hold_reason)
    group: str | None = attrs.field(default=None, converter=_fields.group)
    assignee: str | None = attrs.field(default=None, converter=_fields.assignee)
    tier: int | None = None
    extra: tuple[tuple[str, str], ...] = ()

    changes_state: ClassVar[bool] = True

    def apply_to(self, ticket: Ticket) -> Ticket:
        """
        Move the ticket and apply what the transition set.
        """
        changes: dict[str, object] = {"state": self.dest}
        if self.hold_reason != ticket.hold_reason:
            changes["hold_reason"] = self.hold_reason
        if self.resolution is not None:
            changes["resolution"] = self.resolution
        elif self.trigger == "reopen":
            changes["resolution"] = None
        if self.assignee is not None:
            changes["assignee"] = self.assignee
        elif (self.group is not None and self.group != ticket.group) or (
            self.tier is not None and self.tier > ticket.tier
        ):
            # Handed to another group or a higher tier without naming an agent: whoever
            # works there picks it up; the previous agent no longer owns it.
            changes["assignee"] = None
        if self.group is not None:
            changes["group"] = self.group
        if self.tier is not None:
            changes["tier"] = self.tier
        return ticket.evolve(self, **changes)

    @property
    def details(self) -> Mapping[str, str | int]:
        """
        Everything the transition set, by name.
        """
        out: dict[str, str | int] = {}
        for name in ("reason", "resolution", "hold_reason", "group", "assignee", "tier"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out.update(self.extra)
        return out

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        shown = ", ".join(f"{k}={v}" for k, v in self.details.items())
        return f"{self.trigger}: {self.source} -> {self.dest}" + (f" ({shown})" if shown else "")


@attrs.frozen(kw_only=True)
class CommentAdded(Event):
    """
    A public reply or an internal note was added.
    """

    body: str = attrs.field(validator=_fields.required_text)
    # Converted, not trusted: "internal" from JSON or a form must count as internal.
    visibility: Visibility = attrs.field(default=Visibility.PUBLIC, converter=_fields.visibility)
    author_role: str = "agent"

    @property
    def internal(self) -> bool:  # type: ignore[override]
        """
        Internal notes are staff-only.
        """
        return self.visibility == Visibility.INTERNAL

    def apply_to(self, ticket: Ticket) -> Ticket:
        """
        Append the comment.
        """
        comment = Comment(self.at, self.actor, self.body, self.visibility, self.author_role)
        return ticket.evolve(self, comments=(*ticket.comments, comment))

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"{self.visibility.value} comment by {self.author_role}: {self.body}"


@attrs.frozen(kw_only=True)
class Escalated(Event):
    """
    A hierarchical escalation: a supervisor or manager was told about the ticket.

    (A functional escalation to another tier is a [`StateChanged`][deskflow.events.StateChanged]
    with a ``tier``.)
    """

    notified: tuple[str, ...]
    reason: str
    dedup_key: str | None = None
    template: str = "escalation_notice"

    internal = True

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"escalated to {', '.join(self.notified)}: {self.reason}"


@attrs.frozen(kw_only=True)
class ApprovalRequested(Event):
    """
    Approval was requested from ``approvers`` (at approval stage ``stage``).

    ``barred`` are the approvers who may not approve this request (its requester, or whom it
    benefits): they may still reject it, and they are not asked to approve it.
    """

    approvers: tuple[str, ...]
    stage: int = 1
    rule: str = "all"
    barred: tuple[str, ...] = ()

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"approval requested from {', '.join(self.approvers)} ({self.rule})"


@attrs.frozen(kw_only=True)
class ApprovalDecided(Event):
    """
    An approver approved or rejected the request (the actor is the approver).
    """

    approved: bool
    stage: int = 1
    comment: str | None = None

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        verdict = "approved" if self.approved else "rejected"
        return verdict + (f": {self.comment}" if self.comment else "")


@attrs.frozen(kw_only=True)
class FeedbackGiven(Event):
    """
    The requester rated the handling of the ticket.
    """

    rating: int = attrs.field(validator=lambda _i, _a, v: check_rating(v))
    comment: str | None = None

    def apply_to(self, ticket: Ticket) -> Ticket:
        """
        Record the feedback.
        """
        return ticket.evolve(self, feedback=Feedback(self.rating, self.comment))

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"feedback {self.rating}/5" + (f": {self.comment}" if self.comment else "")


@attrs.frozen(kw_only=True)
class Linked(Event):
    """
    The ticket was linked to another one.
    """

    other_id: str = attrs.field(converter=_fields.other_id)
    link_kind: LinkKind = attrs.field(default=LinkKind.RELATED, converter=_fields.link_kind)

    def apply_to(self, ticket: Ticket) -> Ticket:
        """
        Add the link.
        """
        return ticket.evolve(self, links=(*ticket.links, Link(self.other_id, self.link_kind)))

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"linked {self.link_kind.value} {self.other_id}"


@attrs.frozen(kw_only=True)
class SlaThresholdReached(Event):
    """
    An SLA clock passed a warning threshold or breached; ``dedup_key`` makes it fire once.
    """

    metric: Metric = attrs.field(converter=_fields.metric)
    threshold: str
    dedup_key: str

    internal = True

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"SLA {self.metric.value} reached {self.threshold}"


@attrs.frozen(kw_only=True)
class ActionFired(Event):
    """
    An escalation action was carried out; its ``dedup_key`` keeps it from firing again.
    """

    dedup_key: str
    action: str

    internal = True

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"escalation action {self.action} [{self.dedup_key}]"


@attrs.frozen(kw_only=True)
class Acknowledged(Event):
    """
    Someone paged took the ticket on (`HelpDesk.acknowledge()`): a ladder
    ([`LadderPolicy`][deskflow.policies.ladders.LadderPolicy]) stops paging for this cycle.
    """

    internal = True

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"acknowledged by {self.actor}"


@attrs.frozen(kw_only=True)
class NotificationQueued(Event):
    """
    A notification was written to the outbox, to be delivered after the save.
    """

    dedup_key: str
    recipients: tuple[str, ...]
    template: str
    internal_only: bool = False

    @property
    def internal(self) -> bool:  # type: ignore[override]
        """
        Notifications to staff are staff-only entries.
        """
        return self.internal_only

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"notification {self.template} to {', '.join(self.recipients)}"


@attrs.frozen(kw_only=True)
class RuleFired(Event):
    """
    An automation rule fired: its ``dedup_key`` (rule, ticket, episode) keeps it from firing
    again for the same episode; ``cause`` is the position of the event that triggered it
    (None for a time rule), ``depth`` how deep in the cascade it fired (1: on the command's
    own change), ``actions`` what it did, ``recorded`` how many events it recorded just before.
    """

    rule: str
    dedup_key: str
    cause: int | None = None
    depth: int = 1
    actions: tuple[str, ...] = ()
    recorded: int = 0

    internal = True

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        done = "; ".join(self.actions) or "nothing to do"
        return f"rule {self.rule!r} fired: {done}"


@attrs.frozen(kw_only=True)
class RuleNotified(Event):
    """
    An automation rule asked for a notification: ``template`` for ``recipients`` (resolved
    ids), written for ``audience``. Staff-only unless the audience is the requester.
    """

    rule: str
    template: str
    recipients: tuple[str, ...]
    audience: Audience = Audience.STAFF

    @property
    def internal(self) -> bool:  # type: ignore[override]
        """
        A notice to staff is a staff-only entry.
        """
        return self.audience is not Audience.REQUESTER

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"rule {self.rule!r} notifies {', '.join(self.recipients)} ({self.template})"
