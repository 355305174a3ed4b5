"""
Desk reporting: request volume, times to respond and resolve, first-contact resolution,
reopens, escalations, SLA compliance and customer satisfaction, from tickets' histories.

A report is a pure function of the tickets and ``now``: nothing is counted up while the desk
works, so a report can be made for any instant and any period, and one made from stored
histories equals one made from the live tickets. The figures are defined in
[`desk_report()`][deskflow.reports.desk_report].
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.json_forms import json_form, json_value
from deskflow._internal.report_facts import Facts, as_of, facts_of, utc
from deskflow.enums import Metric, TicketKind
from deskflow.exceptions import InvalidInput
from deskflow.sla import SlaPolicy
from deskflow.states import Workflow
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT, SERVICE_REQUEST

__all__ = [
    "GROUP_BY_FIELDS",
    "Compliance",
    "DeskReport",
    "Durations",
    "Satisfaction",
    "Volume",
    "desk_report",
]

#: The ticket fields a report can be grouped by.
GROUP_BY_FIELDS: Final = ("group", "category", "service", "priority", "kind", "assignee")

_Row = dict[str, int | float | str | None]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


@attrs.frozen
class Volume:
    """
    Tickets opened and resolved in the period, and the backlog (still open) at ``now``.
    """

    opened: int = 0
    resolved: int = 0
    backlog: int = 0


@attrs.frozen
class Durations:
    """
    How many durations were measured, and their mean, median and 90th percentile.

    The statistics are None when nothing was measured. The 90th percentile is by nearest
    rank: the smallest measured duration that at least 90% of them do not exceed.

    >>> h = timedelta(hours=1)
    >>> d = Durations.of([4 * h, h, 2 * h, 3 * h])
    >>> d.count, d.mean == 2.5 * h, d.median == 2.5 * h, d.p90 == 4 * h
    (4, True, True, True)
    """

    count: int = 0
    mean: timedelta | None = None
    median: timedelta | None = None
    p90: timedelta | None = None

    @classmethod
    def of(cls, values: Iterable[timedelta]) -> Durations:
        """
        The statistics of ``values`` (in any order).
        """
        ordered = sorted(values)
        n = len(ordered)
        if not n:
            return cls()
        middle = n // 2
        median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        # ceil(0.9 * n) in integers: a float product can land just above a whole number.
        rank = -(-9 * n // 10)
        return cls(n, sum(ordered, timedelta(0)) / n, median, ordered[rank - 1])


@attrs.frozen
class Compliance:
    """
    One SLA metric's clocks decided in the period: ``met`` without breach, or ``breached``.
    """

    met: int = 0
    breached: int = 0

    @property
    def rate(self) -> float | None:
        """
        The share of decided clocks met without breach; None if none was decided.
        """
        return _share(self.met, self.met + self.breached)


@attrs.frozen
class Satisfaction:
    """
    The requesters' ratings (1 to 5) given in the period, each ticket's latest one; and the
    satisfaction surveys sent in the period, with how many of them were answered.
    """

    count: int = 0
    sum_of_ratings: int = 0
    satisfied: int = 0
    surveys_sent: int = 0
    surveys_answered: int = 0

    @property
    def response_rate(self) -> float | None:
        """
        The share of the surveys sent that were answered; None if none was sent.
        """
        return _share(self.surveys_answered, self.surveys_sent)

    @property
    def mean(self) -> float | None:
        """
        The mean rating; None without ratings.
        """
        return self.sum_of_ratings / self.count if self.count else None

    @property
    def csat(self) -> float | None:
        """
        The share of ratings of 4 or 5 (CSAT); None without ratings.
        """
        return _share(self.satisfied, self.count)


@attrs.frozen
class DeskReport:
    """
    A desk's figures as of ``now`` for ``period`` (see
    [`desk_report()`][deskflow.reports.desk_report] for definitions).

    ``first_contact``, ``reopened`` and ``escalated`` count tickets among the resolved ones;
    ``sla`` is empty and ``business_time_to_resolve`` None when no SLA policy was given;
    ``groups`` holds the same figures per value of the field ``by`` (None: no value).
    """

    now: datetime
    period: tuple[datetime, datetime] | None
    volume: Volume
    by_kind: Mapping[TicketKind, Volume]
    time_to_resolve: Durations
    business_time_to_resolve: Durations | None
    time_to_first_response: Durations
    first_contact: int
    reopened: int
    escalated: int
    sla: Mapping[Metric, Compliance]
    satisfaction: Satisfaction
    by: str | None = None
    groups: Mapping[str | None, DeskReport] = attrs.field(factory=dict)

    @property
    def first_contact_rate(self) -> float | None:
        """
        The share of resolved tickets resolved at first contact; None if none was resolved.
        """
        return _share(self.first_contact, self.volume.resolved)

    @property
    def reopen_rate(self) -> float | None:
        """
        The share of resolved tickets that had been reopened; None if none was resolved.
        """
        return _share(self.reopened, self.volume.resolved)

    @property
    def escalation_rate(self) -> float | None:
        """
        The share of resolved tickets that reached tier 2 or above; None if none was resolved.
        """
        return _share(self.escalated, self.volume.resolved)

    def to_dict(self) -> dict[str, Any]:
        """
        The report as JSON values: its fields, then the three rates.

        ``now`` and ``period`` are ISO 8601 UTC strings ending in ``Z`` (``period`` a pair, or
        None); durations are seconds as a float; ``by_kind`` and ``sla`` are keyed by kind and
        metric value; ``Compliance`` adds ``rate``, ``Satisfaction`` ``mean`` and ``csat``
        (None without data). ``groups`` is a list of ``{"value": ..., **report}``, one per
        value of ``by`` (``value`` None for tickets without one).
        """
        groups = [{"value": json_value(key), **part.to_dict()} for key, part in self.groups.items()]
        return json_form(self, given={"groups": groups})

    def to_row(self) -> _Row:
        """
        The figures as one flat dict of plain values; durations in seconds.

        Columns that need an SLA policy (``resolve_business_*``, ``sla_*``) are present only
        when the report was made with one.
        """
        row: _Row = dict(attrs.asdict(self.volume))
        for kind, part in self.by_kind.items():
            row |= {f"{name}_{kind}": n for name, n in attrs.asdict(part).items()}
        timings = {
            "resolve": self.time_to_resolve,
            "resolve_business": self.business_time_to_resolve,
            "first_response": self.time_to_first_response,
        }
        for name, durations in timings.items():
            if durations is not None:
                row[f"{name}_count"] = durations.count
                for stat in ("mean", "median", "p90"):
                    row[f"{name}_{stat}_s"] = _seconds(getattr(durations, stat))
        row |= {
            "first_contact": self.first_contact,
            "first_contact_rate": self.first_contact_rate,
            "reopened": self.reopened,
            "reopen_rate": self.reopen_rate,
            "escalated": self.escalated,
            "escalation_rate": self.escalation_rate,
            "ratings": self.satisfaction.count,
            "rating_mean": self.satisfaction.mean,
            "csat": self.satisfaction.csat,
            "surveys_sent": self.satisfaction.surveys_sent,
            "surveys_answered": self.satisfaction.surveys_answered,
            "survey_response_rate": self.satisfaction.response_rate,
        }
        for metric, c in self.sla.items():
            row |= {f"sla_{metric}_met": c.met, f"sla_{metric}_breached": c.breached}
            row[f"sla_{metric}_rate"] = c.rate
        return row

    def to_rows(self) -> list[_Row]:
        """
        Plain rows for export: the whole desk first, then one row per group.

        Each row starts with ``by`` (the field grouped by; None on the whole desk's row)
        and ``key`` (the group's value; None on the whole desk's row and for tickets
        without a value).
        """
        rows: list[_Row] = [{"by": None, "key": None, **self.to_row()}]
        rows.extend(
            {"by": self.by, "key": key, **part.to_row()} for key, part in self.groups.items()
        )
        return rows


def _aggregate(
    facts: Sequence[Facts],
    now: datetime,
    period: tuple[datetime, datetime] | None,
    with_sla: bool,
) -> DeskReport:
    start, end = (None, None) if period is None else (utc(period[0]), utc(period[1]))

    def within(at: datetime | None) -> bool:
        # Half-open, so that consecutive periods count each ticket once.
        if at is None:
            return False
        return start is None or end is None or start <= at < end

    opened = [f for f in facts if within(f.opened_at)]
    resolved = [f for f in facts if within(f.resolved_at)]
    backlog = [f for f in facts if f.backlog]

    def volume(kind: TicketKind | None) -> Volume:
        def count(part: list[Facts]) -> int:
            return sum(1 for f in part if kind is None or f.ticket.kind is kind)

        return Volume(count(opened), count(resolved), count(backlog))

    ratings = [f.rating[1] for f in facts if f.rating is not None and within(f.rating[0])]
    surveyed = [f.survey[1] for f in facts if f.survey is not None and within(f.survey[0])]
    decided = [(m, met) for f in facts for m, at, met in f.clocks if within(at)]
    sla = {m: Compliance(decided.count((m, True)), decided.count((m, False))) for m in Metric}
    return DeskReport(
        now=now,
        period=period,
        volume=volume(None),
        by_kind={kind: volume(kind) for kind in TicketKind},
        time_to_resolve=Durations.of(
            f.resolved_at - f.opened_at for f in resolved if f.resolved_at is not None
        ),
        business_time_to_resolve=(
            Durations.of(
                f.business_to_resolve for f in resolved if f.business_to_resolve is not None
            )
            if with_sla
            else None
        ),
        time_to_first_response=Durations.of(
            f.first_response_at - f.opened_at
            for f in facts
            if f.first_response_at is not None and within(f.first_response_at)
        ),
        first_contact=sum(1 for f in resolved if f.first_contact),
        reopened=sum(1 for f in resolved if f.reopened),
        escalated=sum(1 for f in resolved if f.escalated),
        sla=sla if with_sla else {},
        satisfaction=Satisfaction(
            len(ratings),
            sum(ratings),
            sum(1 for r in ratings if r >= 4),
            surveys_sent=len(surveyed),
            surveys_answered=sum(surveyed),
        ),
    )


def _period(value: object) -> tuple[datetime, datetime] | None:
    if value is None:
        return None
    if not isinstance(value, tuple) or len(value) != 2:
        raise InvalidInput(f"period must be a (start, end) tuple of datetimes, got {value!r}")
    start = _checks.aware("period start", value[0])
    end = _checks.aware("period end", value[1])
    if utc(end) < utc(start):
        raise InvalidInput(
            f"period end {end.isoformat()} is before its start {start.isoformat()}; "
            "expected start <= end"
        )
    return (start, end)


def _policy(
    sla: Callable[[Ticket], SlaPolicy] | SlaPolicy | None, ticket: Ticket
) -> SlaPolicy | None:
    if sla is None or isinstance(sla, SlaPolicy):
        return sla
    policy = sla(ticket)
    if not isinstance(policy, SlaPolicy):
        raise InvalidInput(
            f"sla({ticket.id}) must return an SlaPolicy, got {type(policy).__name__}"
        )
    return policy


def _workflows(value: Iterable[Workflow]) -> dict[TicketKind, Workflow]:
    out: dict[TicketKind, Workflow] = {}
    for workflow in value:
        if not isinstance(workflow, Workflow):
            raise InvalidInput(f"workflows must be Workflow objects, got {workflow!r}")
        if workflow.kind in out:
            raise InvalidInput(f"two workflows for {workflow.kind.value} tickets; give one")
        out[workflow.kind] = workflow
    return out


def desk_report(
    tickets: Iterable[Ticket],
    *,
    now: datetime,
    sla: Callable[[Ticket], SlaPolicy] | SlaPolicy | None = None,
    period: tuple[datetime, datetime] | None = None,
    by: str | None = None,
    workflows: Iterable[Workflow] = (INCIDENT, SERVICE_REQUEST),
) -> DeskReport:
    """
    The desk's figures for ``tickets`` as of ``now``, over ``period`` (start included, end
    excluded; None: all time), grouped by the field ``by`` if given.

    Events after ``now`` are ignored: a ticket opened later does not count yet. Definitions:

    - a ticket is *resolved* while it is in a state that stops its workflow's resolution
      clock (resolved, fulfilled) or went from one to a final state (closed). It was
      resolved at the LAST time it entered such a state; a reopened ticket is not resolved
      until it is resolved again. Cancelled and rejected tickets are never resolved;
    - *volume*: tickets opened in the period, tickets resolved in the period, and the
      backlog at ``now`` (neither resolved nor final), in total and by kind;
    - *time to resolve*: wall time from opening to the resolution, over the tickets resolved
      in the period; with ``sla``, also the business time on the policy's calendar (waits
      included: it is not the SLA clock, which pauses);
    - *time to first response*: from opening to the first public comment of an agent, over
      the tickets first answered in the period;
    - among the tickets resolved in the period: *first-contact resolution* counts those
      never handed to another group or tier (the first group a ticket gets is not a
      reassignment; a change of agent within the group is allowed), never reopened and
      never asked for information (``request_info``); *reopened* those reopened before
      their resolution; *escalated* those that reached tier 2 or above (logged there too);
    - *SLA compliance*, with ``sla`` (a policy, or a function choosing one per ticket): per
      metric, each ticket's current clock that has a target and was decided in the period,
      breached (at its breach) or met without breach (when met);
    - *satisfaction*: each ticket's latest rating, if given in the period; and each ticket's
      latest satisfaction survey, if sent in the period, counted as *sent* and, if the
      requester answered it before it expired (and before ``now``), as *answered*.

    ``workflows`` tell which states resolve and end each kind of ticket. Empty inputs give
    zeros and None, never a division by zero.

    >>> from datetime import datetime, timedelta, timezone
    >>> from deskflow import INCIDENT, Actor, Role, Trigger
    >>> from deskflow.events import CommentAdded, FeedbackGiven
    >>> lee = Actor("lee", Role.AGENT, tier=1)
    >>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> fixed = INCIDENT.open("T-1", title="VPN down", requester="ann", at=t0)
    >>> fixed = fixed.record(CommentAdded(at=t0 + timedelta(minutes=5), actor="lee", body="On it"))
    >>> fixed = INCIDENT.fire(fixed, Trigger.RESOLVE, actor=lee, at=t0 + timedelta(hours=2),
    ...                       resolution="Restarted the gateway")
    >>> fixed = fixed.record(FeedbackGiven(at=t0 + timedelta(hours=3), actor="ann", rating=5))
    >>> waiting = INCIDENT.open("T-2", title="Printer jam", requester="bob", at=t0)
    >>> desk = desk_report([fixed, waiting], now=t0 + timedelta(days=1))
    >>> desk.volume
    Volume(opened=2, resolved=1, backlog=1)
    >>> desk.time_to_resolve.mean, desk.first_contact_rate, desk.satisfaction.csat
    (datetime.timedelta(seconds=7200), 1.0, 1.0)
    """
    now = _checks.aware("now", now)
    window = _period(period)
    if by is not None and by not in GROUP_BY_FIELDS:
        raise InvalidInput(
            f"cannot group a report by {by!r}; accepted: {', '.join(GROUP_BY_FIELDS)}"
        )
    if not (sla is None or isinstance(sla, SlaPolicy) or callable(sla)):
        raise InvalidInput(
            f"sla must be an SlaPolicy or a function of a ticket, got {type(sla).__name__}"
        )
    known = _workflows(workflows)
    facts: list[Facts] = []
    for given in tickets:
        if not isinstance(given, Ticket):
            raise InvalidInput(f"tickets must be Ticket objects, got {type(given).__name__}")
        workflow = known.get(given.kind)
        if workflow is None:
            raise InvalidInput(f"ticket {given.id}: no workflow given for {given.kind.value}")
        ticket = as_of(given, utc(now))
        if ticket is not None:
            facts.append(facts_of(ticket, workflow, _policy(sla, ticket), utc(now)))
    whole = _aggregate(facts, now, window, sla is not None)
    if by is None:
        return whole
    parts: dict[str | None, list[Facts]] = {}
    for f in facts:
        value = getattr(f.ticket, by)
        parts.setdefault(None if value is None else str(value), []).append(f)
    # Sorted, so a report does not depend on the order the tickets came in.
    keys = sorted(parts, key=lambda key: (key is None, key or ""))
    groups = {key: _aggregate(parts[key], now, window, sla is not None) for key in keys}
    return attrs.evolve(whole, by=by, groups=groups)
