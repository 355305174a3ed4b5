"""
A desk's policies in one value: its workflows, priority, SLA, escalation, routing,
authorization and approval policies, the auto-close rule and the size limits of its texts.

[`Desk`][deskflow.desk.Desk] is what [`HelpDesk`][deskflow.service.HelpDesk] decides with. Build
one in code, or from a configuration file with
[`deskflow.config.load_desk()`][deskflow.config.load_desk].
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.automation_checks import check_automation
from deskflow.approval import ApprovalPolicy
from deskflow.authorization import AuthorizationPolicy, DefaultAuthorization
from deskflow.calendars import BusinessCalendar
from deskflow.enums import TicketKind
from deskflow.escalation import EscalationPolicy
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.fields import CustomField
from deskflow.limits import Limits
from deskflow.macros import Macro
from deskflow.messages import MessageRenderer, default_renderer
from deskflow.outbox import DEFAULT_RULES, NotificationRule
from deskflow.policies.notices import Directory
from deskflow.priority import PriorityMatrix, PriorityPolicy
from deskflow.routing import RoutingPolicy
from deskflow.rules import PeopleDirectory, RuleSet
from deskflow.sla import SlaPolicy
from deskflow.states import Workflow
from deskflow.surveys import SurveyPolicy
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT, SERVICE_REQUEST

__all__ = ["Desk"]


def _workflows(value: Mapping[Any, Workflow]) -> Mapping[TicketKind, Workflow]:
    out: dict[TicketKind, Workflow] = {}
    for kind, workflow in dict(value).items():
        try:
            member = _checks.member("kind", TicketKind, kind)
        except InvalidInput as error:
            raise ConfigError(str(error), path=("workflows", str(kind))) from None
        if not isinstance(workflow, Workflow):
            raise ConfigError(
                f"expected a Workflow, got {type(workflow).__name__}", path=("workflows", member)
            )
        out[member] = workflow
    return out


def _escalations(value: object) -> Mapping[TicketKind, EscalationPolicy]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        # One policy: the escalation of incidents, the tickets escalation is about.
        value = {TicketKind.INCIDENT: value}
    out: dict[TicketKind, EscalationPolicy] = {}
    for kind, policy in value.items():
        try:
            member = _checks.member("kind", TicketKind, kind)
        except InvalidInput as error:
            raise ConfigError(str(error), path=("escalation", str(kind))) from None
        if not all(callable(getattr(policy, m, None)) for m in ("evaluate", "next_check_at")):
            raise ConfigError(
                f"an escalation policy needs evaluate() and next_check_at(), got {policy!r}",
                path=("escalation", member),
            )
        out[member] = policy  # type: ignore[assignment]  # duck-checked just above
    return out


def _default_sla(desk: Desk) -> Mapping[TicketKind, SlaPolicy]:
    always = BusinessCalendar.always("UTC")
    return {kind: SlaPolicy.itil(always, workflow=wf) for kind, wf in desk.workflows.items()}


@attrs.frozen
class Desk:
    """
    Everything a help desk decides with.

    ``sla`` maps each ticket kind to its SLA policy (the default: ITIL targets around the
    clock); ``escalation`` each kind to its escalation policy (a single policy escalates
    incidents); ``auto_close_after`` is the business time (on the ticket's SLA calendar) after
    which a resolved ticket closes itself, or None to never auto-close; ``limits`` how long
    each free-text field may be ([`Limits`][deskflow.limits.Limits]).

    >>> desk = Desk()
    >>> sorted(desk.workflows)
    [<TicketKind.INCIDENT: 'incident'>, <TicketKind.SERVICE_REQUEST: 'service_request'>]
    >>> desk.auto_close_after
    datetime.timedelta(days=1)
    """

    workflows: Mapping[TicketKind, Workflow] = attrs.field(
        factory=lambda: {
            TicketKind.INCIDENT: INCIDENT,
            TicketKind.SERVICE_REQUEST: SERVICE_REQUEST,
        },
        converter=_workflows,
    )
    priority: PriorityPolicy = attrs.field(factory=PriorityMatrix.itil)
    sla: Mapping[TicketKind, SlaPolicy] = attrs.field(
        default=attrs.Factory(_default_sla, takes_self=True)
    )
    escalation: Mapping[TicketKind, EscalationPolicy] = attrs.field(
        default=None, converter=_escalations
    )
    routing: RoutingPolicy | None = None
    authorization: AuthorizationPolicy = attrs.field(factory=DefaultAuthorization)
    approval: ApprovalPolicy | None = None
    auto_close_after: timedelta | None = timedelta(days=1)
    notification_rules: tuple[NotificationRule, ...] = DEFAULT_RULES
    id_prefixes: Mapping[TicketKind, str] = attrs.field(
        factory=lambda: {TicketKind.INCIDENT: "INC", TicketKind.SERVICE_REQUEST: "REQ"}
    )
    limits: Limits = attrs.field(factory=Limits)
    #: The desk's custom fields by name.
    fields: Mapping[str, CustomField] = attrs.field(factory=dict, hash=False)
    #: The automation rules, in order, with their hit policy and cascade bound.
    rules: RuleSet = attrs.field(factory=RuleSet)
    #: Named batches of commands (``HelpDesk.apply_macro``).
    macros: Mapping[str, Macro] = attrs.field(factory=dict, hash=False)
    #: Text templates by name, for rules' replies and notes and for macros.
    texts: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    #: What the host knows of people (attributes for rules, candidates for routing).
    people: PeopleDirectory | None = None
    #: Who manages whom, for rules' ``@supervisor`` and ``@manager`` recipients.
    directory: Directory | None = None
    #: What writes the desk's messages; None: the shipped templates when the ``templates``
    #: extra is installed, else plain messages (see [`deskflow.messages`][deskflow.messages]).
    messages: MessageRenderer | None = None
    #: When requesters are sent a satisfaction survey; None: never.
    surveys: SurveyPolicy | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.sla, Mapping):
            raise ConfigError(
                f"sla must map ticket kinds to SLA policies, got {self.sla!r}", path=("sla",)
            )
        for kind in self.workflows:
            policy = self.sla.get(kind)
            if not isinstance(policy, SlaPolicy):
                raise ConfigError(f"no SLA policy for {kind.value} tickets", path=("sla", kind))
            if policy.workflow is not self.workflows[kind]:
                raise ConfigError(
                    f"the SLA policy for {kind.value} tickets is for workflow "
                    f"{policy.workflow.name!r}, not {self.workflows[kind].name!r}",
                    path=("sla", kind),
                )
            if kind not in self.id_prefixes:
                raise ConfigError(f"no id prefix for {kind.value} tickets", path=("id_prefixes",))
        if self.auto_close_after is not None and (
            not isinstance(self.auto_close_after, timedelta)
            or self.auto_close_after <= timedelta(0)
        ):
            raise ConfigError("auto_close_after must be a positive timedelta or None")
        if not isinstance(self.limits, Limits):
            raise ConfigError(
                f"expected a Limits, got {type(self.limits).__name__}", path=("limits",)
            )
        if self.surveys is not None and not isinstance(self.surveys, SurveyPolicy):
            raise ConfigError(
                f"expected a SurveyPolicy, got {type(self.surveys).__name__}", path=("surveys",)
            )
        check_automation(self)
        if self.messages is not None:
            self.messages.check(self)

    @property
    def renderer(self) -> MessageRenderer:
        """
        What writes the desk's messages: ``messages``, or the default renderer.
        """
        return self.messages if self.messages is not None else default_renderer()

    def workflow_for(self, ticket: Ticket) -> Workflow:
        """
        The workflow of ``ticket``'s kind.
        """
        try:
            return self.workflows[ticket.kind]
        except KeyError:
            raise InvalidInput(
                f"this desk has no workflow for {ticket.kind.value} tickets"
            ) from None

    def escalation_for(self, ticket: Ticket) -> EscalationPolicy | None:
        """
        The escalation policy of ``ticket``'s kind, if any.
        """
        return self.escalation.get(ticket.kind)

    def sla_for(self, ticket: Ticket) -> SlaPolicy:
        """
        The SLA policy of ``ticket``'s kind.
        """
        return self.sla[ticket.kind]

    def auto_close_at(self, ticket: Ticket) -> datetime | None:
        """
        When a resolved ticket closes itself, or None if it does not (now or ever).
        """
        workflow = self.workflow_for(ticket)
        if self.auto_close_after is None or "close" not in workflow.allowed(ticket.state):
            return None
        if workflow.is_final(ticket.state) or not workflow.stops_metric(ticket.state, "resolution"):
            return None
        calendar = self.sla_for(ticket).calendar_for(ticket)
        return calendar.add(ticket.state_since, self.auto_close_after)
