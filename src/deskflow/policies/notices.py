"""
Notices: who hears about a ticket as its SLA clocks run.

[`SlaNotices`][deskflow.policies.notices.SlaNotices] sends ServiceNow's SLA notifications (50%
to the assignee, 75% and the breach to the assignee and their manager);
[`HierarchicalNotices`][deskflow.policies.notices.HierarchicalNotices] is ITIL's hierarchical
escalation — supervisors and managers told about urgent tickets and late ones. Recipients are
written as tokens (``assignee``, ``manager``, ``supervisor``, ``group``, ``agent:<id>``) and
resolved through a [`Directory`][deskflow.policies.notices.Directory] when the notice is due; a
token that resolves to nobody is dropped, and a notice left with nobody is not sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, Protocol, TypeAlias

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal import escalation_support as support
from deskflow.dedup import action_key, current_cycle, fired_keys
from deskflow.enums import Metric, Priority
from deskflow.escalation import EscalationAction, Notify, check_evaluation, passed_at
from deskflow.events import PriorityChanged
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.sla import SlaReport, Threshold
from deskflow.states import Workflow
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

__all__ = [
    "RECIPIENT_TOKENS",
    "SERVICENOW_NOTICES",
    "Directory",
    "HierarchicalNotices",
    "MappingDirectory",
    "NoticeRules",
    "SlaNotices",
]

#: ``{metric: {threshold: recipient tokens}}``; a threshold is "75%", 75, "due-30m" or a
#: timedelta before due, the tokens one string or several.
NoticeRules: TypeAlias = Mapping[Metric | str, Mapping[Any, str | Sequence[str]]]


class Directory(Protocol):
    """
    Who manages whom: the people hierarchical notices go to.
    """

    def manager_of(self, agent_id: str) -> str | None:
        """
        The id of the agent's manager, or None if unknown.
        """
        ...

    def supervisor_of(self, group: str) -> str | None:
        """
        The id of the group's supervisor, or None if unknown.
        """
        ...


@attrs.frozen
class MappingDirectory:
    """
    A [`Directory`][deskflow.policies.notices.Directory] read from two mappings: agent ->
    manager and group -> supervisor.

    >>> MappingDirectory(managers={"lee": "mia"}).manager_of("lee")
    'mia'
    """

    managers: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    supervisors: Mapping[str, str] = attrs.field(factory=dict, hash=False)

    def manager_of(self, agent_id: str) -> str | None:
        """
        The agent's manager, or None.
        """
        return self.managers.get(agent_id)

    def supervisor_of(self, group: str) -> str | None:
        """
        The group's supervisor, or None.
        """
        return self.supervisors.get(group)


#: The recipient tokens notices accept, besides ``agent:<id>`` for one named agent.
RECIPIENT_TOKENS: Final = ("assignee", "manager", "supervisor", "group")


def _tokens(value: object, path: Sequence[str | int]) -> tuple[str, ...]:
    tokens = (value,) if isinstance(value, str) else value
    if not isinstance(tokens, Iterable) or not tokens:
        raise ConfigError(f"expected recipient tokens, got {value!r}", path=path)
    out = tuple(tokens)
    for token in out:
        literal = isinstance(token, str) and token.startswith("agent:") and token[6:].strip()
        if token not in RECIPIENT_TOKENS and not literal:
            raise ConfigError(
                f"unknown recipient {token!r}; use {', '.join(RECIPIENT_TOKENS)} or 'agent:<id>'",
                path=path,
            )
    return out


def _resolve(tokens: Iterable[str], ticket: Ticket, directory: Directory) -> tuple[str, ...]:
    """
    The ids the tokens stand for on ``ticket``; unresolvable tokens are dropped.
    """
    out: list[str] = []
    for token in tokens:
        found: str | None
        try:
            if token == "assignee":
                found = ticket.assignee
            elif token == "group":
                found = ticket.group
            elif token == "manager":
                found = directory.manager_of(ticket.assignee) if ticket.assignee else None
            elif token == "supervisor":
                found = directory.supervisor_of(ticket.group) if ticket.group else None
            else:
                found = token.removeprefix("agent:")
        except LookupError:
            # A directory that does not know someone is a missing entry, not a failure.
            found = None
        if found and found not in out:
            out.append(found)
    return tuple(out)


def _breach(threshold: Threshold) -> bool:
    return (threshold.share or 0) >= 1 or threshold.offset == timedelta(0)


@attrs.frozen
class _Notice:
    metric: Metric
    threshold: str
    recipients: tuple[str, ...]
    template: str


def _notices(rules: object, where: str, warning: str, breach: str) -> tuple[_Notice, ...]:
    """
    Parse ``{metric: {threshold: recipients}}``; templates ``warning``/``breach`` by kind.
    """
    if not isinstance(rules, Mapping):
        raise ConfigError(
            f"expected {{metric: {{threshold: recipients}}}}, got {rules!r}", path=[where]
        )
    out: list[_Notice] = []
    for metric_name, table in rules.items():
        metric = support.config_metric(metric_name, (where, str(metric_name)))
        if not isinstance(table, Mapping):
            raise ConfigError(
                f"expected {{threshold: recipients}}, got {table!r}", path=(where, metric)
            )
        names: set[str] = set()
        for spec, tokens in table.items():
            path = (where, metric, str(spec))
            threshold = support.config_threshold(spec, path)
            if threshold.name in names:
                raise ConfigError(f"threshold {threshold.name} is given twice", path=path)
            names.add(threshold.name)
            template = breach if _breach(threshold) else warning
            out.append(_Notice(metric, threshold.name, _tokens(tokens, path), template))
    return tuple(out)


@attrs.frozen
class _NoticeRun:
    """
    Evaluates threshold notices for one policy (shared by SLA and hierarchical notices).
    """

    policy: str
    notices: tuple[_Notice, ...]
    directory: Directory

    def due(self, ticket: Ticket, sla: SlaReport, now: datetime) -> list[EscalationAction]:
        fired = fired_keys(ticket)
        out: list[EscalationAction] = []
        for notice in self.notices:
            clock = support.live_clock(sla, notice.metric)
            at = passed_at(clock, notice.threshold, now) if clock else None
            if clock is None or at is None:
                continue
            key = action_key(ticket.id, self.policy, notice.metric, clock.cycle, notice.threshold)
            recipients = _resolve(notice.recipients, ticket, self.directory)
            if key in fired or not recipients:
                continue
            reason = f"{notice.metric} passed {notice.threshold} at {at.isoformat()}"
            out.append(
                Notify(
                    recipients=recipients, template=notice.template, dedup_key=key, reason=reason
                )
            )
        return out

    def watched(self) -> frozenset[tuple[Metric, str]]:
        return frozenset((n.metric, n.threshold) for n in self.notices)

    def upcoming(self, sla: SlaReport) -> datetime | None:
        return support.soonest(
            *(
                support.pending_at(clock, notice.threshold)
                for notice in self.notices
                if (clock := support.live_clock(sla, notice.metric)) is not None
            )
        )


class _NoticePolicy:
    """
    What SLA and hierarchical notices share: their threshold notices run on a _NoticeRun.
    """

    __slots__ = ()
    _run: _NoticeRun

    def evaluate(self, ticket: Ticket, sla: SlaReport, now: datetime) -> list[EscalationAction]:
        raise NotImplementedError  # pragma: no cover - both subclasses define it

    def watched(self) -> frozenset[tuple[Metric, str]]:
        """
        The (metric, threshold) pairs notified; see
        [`check_thresholds()`][deskflow.escalation.check_thresholds].
        """
        return self._run.watched()

    def next_check_at(self, ticket: Ticket, sla: SlaReport, now: datetime) -> datetime | None:
        """
        ``now`` if a notice is due, else the next change of a clock with a threshold to go.
        """
        if self.evaluate(ticket, sla, now):
            return now
        return self._run.upcoming(sla)


# -- built-in policies --------------------------------------------------------------------

#: ServiceNow's SLA notifications: 50% to the assignee, 75% and the breach also to their
#: manager.
SERVICENOW_NOTICES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {"50%": ("assignee",), "75%": ("assignee", "manager"), "100%": ("assignee", "manager")}
)


def _directory(value: object) -> Directory:
    if not callable(getattr(value, "manager_of", None)) or not callable(
        getattr(value, "supervisor_of", None)
    ):
        raise ConfigError(
            f"directory must have manager_of() and supervisor_of(), got {value!r}",
            path=["directory"],
        )
    return value  # type: ignore[return-value]


@attrs.frozen
class SlaNotices(_NoticePolicy):
    """
    Notices when SLA clocks pass thresholds, as ServiceNow's SLA notifications send them.

    ``rules`` maps metric -> threshold -> recipient tokens (``assignee``, ``manager``,
    ``supervisor``, ``group`` or ``agent:<id>``); by default every metric follows
    [`SERVICENOW_NOTICES`][deskflow.policies.notices.SERVICENOW_NOTICES]. Thresholds are named
    as the SLA report names them.

    >>> from datetime import datetime, timedelta, timezone
    >>> from deskflow import INCIDENT, Actor, Role
    >>> from deskflow.calendars import BusinessCalendar
    >>> from deskflow.sla import SlaPolicy
    >>> sla = SlaPolicy.itil(BusinessCalendar.always("UTC"))
    >>> opened = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> t = INCIDENT.open("INC-1", title="VPN down", requester="ann", at=opened, priority="P2")
    >>> t = INCIDENT.fire(t, "assign", actor=Actor("lee", Role.AGENT), at=opened, assignee="lee")
    >>> notices = SlaNotices({"resolution": {"50%": "assignee"}})
    >>> now = opened + timedelta(hours=5)
    >>> [a.dedup_key for a in notices.evaluate(t, sla.evaluate(t, now), now)]
    ['INC-1|sla-notices|resolution|c1|50%']
    """

    rules: NoticeRules | None = attrs.field(default=None, eq=False, hash=False)
    directory: Directory = attrs.field(factory=MappingDirectory, converter=_directory)
    name: str = attrs.field(default="sla-notices", validator=support.config_text)
    # Compared parsed, so equal rules written differently compare equal.
    _run: _NoticeRun = attrs.field(init=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        rules = self.rules if self.rules is not None else dict.fromkeys(Metric, SERVICENOW_NOTICES)
        notices = _notices(rules, "rules", "sla-warning", "sla-breach")
        object.__setattr__(self, "_run", _NoticeRun(self.name, notices, self.directory))

    def evaluate(self, ticket: Ticket, sla: SlaReport, now: datetime) -> list[EscalationAction]:
        """
        A notice for each threshold passed in the current cycle and not yet notified.
        """
        check_evaluation(ticket, sla, now)
        return self._run.due(ticket, sla, now)


def _priorities(value: object) -> frozenset[Priority]:
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise ConfigError(f"expected priorities, got {value!r}", path=["priorities"])
    try:
        return frozenset(_checks.member("priority", Priority, p) for p in items)
    except InvalidInput as error:
        raise ConfigError(str(error), path=["priorities"]) from None


def _on_priority(value: object) -> tuple[str, ...]:
    return _tokens(value, ["on_priority"])


@attrs.frozen
class HierarchicalNotices(_NoticePolicy):
    """
    ITIL hierarchical escalation: supervisors and managers hear about the tickets that need
    them — one with an urgent priority (P1 by default), or one whose clock passes a threshold.

    The priority notice goes once per cycle to ``on_priority`` when the ticket has one of
    ``priorities``; ``thresholds`` maps metric -> threshold -> recipient tokens.

    >>> from datetime import datetime, timezone
    >>> from deskflow import INCIDENT
    >>> from deskflow.calendars import BusinessCalendar
    >>> from deskflow.sla import SlaPolicy
    >>> opened = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> t = INCIDENT.open("INC-2", title="Core switch down", requester="ann", at=opened,
    ...                   priority="P1", group="network")
    >>> policy = HierarchicalNotices(MappingDirectory(supervisors={"network": "sam"}))
    >>> report = SlaPolicy.itil(BusinessCalendar.always("UTC")).evaluate(t, opened)
    >>> [(a.recipients, a.dedup_key) for a in policy.evaluate(t, report, opened)]
    [(('sam',), 'INC-2|hierarchical|priority|c1|P1')]
    """

    directory: Directory = attrs.field(factory=MappingDirectory, converter=_directory)
    priorities: frozenset[Priority] = attrs.field(
        default=frozenset({Priority.P1}), converter=_priorities
    )
    on_priority: tuple[str, ...] = attrs.field(
        default=("supervisor", "manager"), converter=_on_priority
    )
    thresholds: NoticeRules = attrs.field(
        factory=lambda: {Metric.RESOLUTION: {"100%": ("supervisor",)}}, eq=False, hash=False
    )
    workflow: Workflow = attrs.field(default=INCIDENT, repr=support.workflow_repr)
    name: str = attrs.field(default="hierarchical", validator=support.config_text)
    # Compared parsed, so equal rules written differently compare equal.
    _run: _NoticeRun = attrs.field(init=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        notices = _notices(self.thresholds, "thresholds", "escalation-notice", "escalation-breach")
        object.__setattr__(self, "_run", _NoticeRun(self.name, notices, self.directory))

    def evaluate(self, ticket: Ticket, sla: SlaReport, now: datetime) -> list[EscalationAction]:
        """
        The priority notice (once per cycle) and the threshold notices that are due.
        """
        check_evaluation(ticket, sla, now)
        out: list[EscalationAction] = []
        priority = ticket.priority
        resolved = self.workflow.stops_metric(ticket.state, Metric.RESOLUTION)
        if priority in self.priorities and not resolved:
            cycle = current_cycle(ticket, self.workflow)
            key = action_key(ticket.id, self.name, "priority", cycle.number, str(priority))
            recipients = _resolve(self.on_priority, ticket, self.directory)
            if recipients and key not in fired_keys(ticket):
                out.append(
                    Notify(
                        recipients=recipients,
                        template="priority-notice",
                        dedup_key=key,
                        reason=f"{priority} ticket {ticket.id} is open since {_since(ticket)}",
                    )
                )
        out.extend(self._run.due(ticket, sla, now))
        return out


def _since(ticket: Ticket) -> str:
    # When the ticket got its current priority: its opening or the last change.
    at = ticket.created_at
    for event in ticket.history:
        if isinstance(event, PriorityChanged):
            at = event.at
    return at.isoformat()
