"""
Desk reports on hand-built histories: volume, times to resolve and respond, first-contact
resolution, reopens, escalations, SLA compliance, satisfaction, grouping, export and bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from builders import ALWAYS, ANN, DAY, LEE, OFFICE, T0, H, M, incident, working
from deskflow import (
    INCIDENT,
    SERVICE_REQUEST,
    InvalidInput,
    Metric,
    Ticket,
    TicketKind,
    Trigger,
)
from deskflow.enums import Visibility
from deskflow.events import CommentAdded, FeedbackGiven
from deskflow.reports import Compliance, Durations, Satisfaction, Volume, desk_report
from deskflow.sla import SlaPolicy

NOW = T0 + 10 * DAY


def fire(t: Ticket, trigger: str, at: datetime, **details: str | int) -> Ticket:
    return INCIDENT.fire(t, trigger, actor=LEE, at=at, **details)


def resolve(t: Ticket, at: datetime) -> Ticket:
    return fire(t, Trigger.RESOLVE, at, resolution="fixed")


def say(t: Ticket, at: datetime, role: str = "agent", internal: bool = False) -> Ticket:
    visibility = Visibility.INTERNAL if internal else Visibility.PUBLIC
    return t.record(
        CommentAdded(at=at, actor="lee", body="...", visibility=visibility, author_role=role)
    )


def rate(t: Ticket, at: datetime, rating: int) -> Ticket:
    return t.record(FeedbackGiven(at=at, actor="ann", rating=rating))


# -- empty input and statistics ----------------------------------------------------------


def test_no_tickets_give_zeros_and_none() -> None:
    """
    An empty desk reports zero counts and None for every mean, median, rate and share.
    """
    desk = desk_report([], now=NOW, sla=SlaPolicy.itil(ALWAYS))
    assert Volume(0, 0, 0) == desk.volume
    assert {kind: Volume(0, 0, 0) for kind in TicketKind} == desk.by_kind
    assert Durations() == desk.time_to_resolve == desk.time_to_first_response
    assert Durations() == desk.business_time_to_resolve
    assert (None, None, None) == (desk.first_contact_rate, desk.reopen_rate, desk.escalation_rate)
    assert (0, None, None) == (
        desk.satisfaction.count,
        desk.satisfaction.mean,
        desk.satisfaction.csat,
    )
    assert {metric: Compliance(0, 0) for metric in Metric} == desk.sla
    assert all(c.rate is None for c in desk.sla.values())


def test_durations_mean_median_and_nearest_rank_p90() -> None:
    """
    The median averages the middle pair of an even count; p90 is a measured value by rank.
    """
    assert Durations(3, 2 * H, 2 * H, 3 * H) == Durations.of([3 * H, H, 2 * H])
    assert Durations(10, 5.5 * H, 5.5 * H, 9 * H) == Durations.of(n * H for n in range(10, 0, -1))
    assert 10 * H == Durations.of(n * H for n in range(1, 12)).p90
    assert Durations(1, M, M, M) == Durations.of([M])
    assert Durations() == Durations.of([])


# -- volume ----------------------------------------------------------------------------


def test_volume_counts_opened_resolved_and_backlog_by_kind() -> None:
    """
    Opened and resolved in the period, backlog at now, in total and per kind of ticket.
    """
    fixed = resolve(working("T-1"), T0 + 2 * H)
    waiting = working("T-2")
    request = SERVICE_REQUEST.open("R-1", title="New laptop", requester=ANN, at=T0)
    rejected = SERVICE_REQUEST.fire(request, Trigger.REQUEST_APPROVAL, actor=LEE, at=T0)
    rejected = SERVICE_REQUEST.fire(rejected, Trigger.REJECT, actor=LEE, at=T0 + H)
    desk = desk_report([fixed, waiting, request, rejected], now=NOW)
    assert Volume(opened=4, resolved=1, backlog=2) == desk.volume
    assert Volume(2, 1, 1) == desk.by_kind[TicketKind.INCIDENT]
    assert Volume(2, 0, 1) == desk.by_kind[TicketKind.SERVICE_REQUEST]


def test_fulfilled_requests_are_resolved_and_closed_tickets_stay_resolved() -> None:
    """
    A fulfilled request is resolved; closing keeps the time of the resolution, not the close.
    """
    sr = SERVICE_REQUEST
    request = sr.open("R-1", title="New laptop", requester=ANN, at=T0)
    request = sr.fire(request, Trigger.ASSIGN, actor=LEE, at=T0, assignee="lee")
    request = sr.fire(request, Trigger.FULFIL, actor=LEE, at=T0 + 3 * H, resolution="shipped")
    closed = fire(resolve(working("T-1"), T0 + H), Trigger.CLOSE, T0 + 5 * DAY)
    desk = desk_report([request, closed], now=NOW)
    assert Volume(2, 2, 0) == desk.volume
    assert Durations(2, 2 * H, 2 * H, 3 * H) == desk.time_to_resolve


def test_cancelled_tickets_are_neither_resolved_nor_backlog() -> None:
    """
    A cancelled ticket counts as opened only.
    """
    cancelled = fire(working(), Trigger.CANCEL, T0 + H, reason="duplicate")
    assert Volume(1, 0, 0) == desk_report([cancelled], now=NOW).volume


def test_period_includes_its_start_and_excludes_its_end() -> None:
    """
    Consecutive periods count a ticket opened or resolved on their shared bound once.
    """
    t = resolve(working(at=T0), T0 + DAY)
    first = desk_report([t], now=NOW, period=(T0 - DAY, T0 + DAY))
    second = desk_report([t], now=NOW, period=(T0 + DAY, T0 + 2 * DAY))
    assert (Volume(1, 0, 0), Volume(0, 1, 0)) == (first.volume, second.volume)
    assert (T0 - DAY, T0 + DAY) == first.period
    assert Volume(0, 0, 0) == desk_report([t], now=NOW, period=(T0, T0)).volume


def test_report_is_as_of_now_ignoring_later_events() -> None:
    """
    As of an earlier now, a later resolution has not happened and a later ticket not opened.
    """
    t = resolve(working("T-1"), T0 + 2 * DAY)
    later = incident("T-2", at=T0 + 3 * DAY, priority="P2")
    desk = desk_report([t, later], now=T0 + DAY)
    assert Volume(opened=1, resolved=0, backlog=1) == desk.volume
    assert Volume(opened=2, resolved=1, backlog=1) == desk_report([t, later], now=NOW).volume


# -- times to resolve and to respond -----------------------------------------------------


def test_time_to_resolve_runs_to_the_last_resolution() -> None:
    """
    A reopened ticket is measured to its last resolution and counts as reopened.
    """
    t = resolve(working(), T0 + H)
    t = fire(t, Trigger.REOPEN, T0 + 2 * H)
    t = resolve(t, T0 + 5 * H)
    desk = desk_report([t], now=NOW)
    assert Durations(1, 5 * H, 5 * H, 5 * H) == desk.time_to_resolve
    assert (1, 1.0, 0) == (desk.reopened, desk.reopen_rate, desk.first_contact)


def test_a_reopened_ticket_is_backlog_until_resolved_again() -> None:
    """
    Reopened and still being worked, a ticket is not resolved: it is in the backlog.
    """
    t = fire(resolve(working(), T0 + H), Trigger.REOPEN, T0 + 2 * H)
    desk = desk_report([t], now=NOW)
    assert (Volume(1, 0, 1), None) == (desk.volume, desk.reopen_rate)


def test_time_to_resolve_is_real_time_across_a_dst_change() -> None:
    """
    From 00:30 GMT to 02:30 BST on the night clocks go forward is one hour, not two.
    """
    london = ZoneInfo("Europe/London")
    start = datetime(2026, 3, 29, 0, 30, tzinfo=london)
    t = resolve(working(at=start), datetime(2026, 3, 29, 2, 30, tzinfo=london))
    assert H == desk_report([t], now=start + DAY).time_to_resolve.mean


def test_business_time_to_resolve_uses_the_policy_calendar() -> None:
    """
    Opened Friday 15:00 and resolved Monday 11:00: 68 hours of wall time, 4 of office time.
    """
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    t = resolve(working(at=friday), friday + 68 * H)
    desk = desk_report([t], now=NOW, sla=SlaPolicy.itil(OFFICE))
    assert 68 * H == desk.time_to_resolve.mean
    assert Durations(1, 4 * H, 4 * H, 4 * H) == desk.business_time_to_resolve
    assert desk_report([t], now=NOW).business_time_to_resolve is None


def test_first_response_is_the_first_public_agent_comment() -> None:
    """
    Internal notes and the requester's own messages are no response.
    """
    t = say(working(), T0 + 5 * M, internal=True)
    t = say(t, T0 + 10 * M, role="requester")
    t = say(t, T0 + 20 * M)
    t = say(t, T0 + 30 * M)
    silent = say(working("T-2"), T0 + M, internal=True)
    desk = desk_report([t, silent], now=NOW)
    assert Durations(1, 20 * M, 20 * M, 20 * M) == desk.time_to_first_response


def test_first_response_counts_in_the_period_it_was_given() -> None:
    """
    A response given after the period does not count in it.
    """
    t = say(working(), T0 + 2 * DAY)
    assert 0 == desk_report([t], now=NOW, period=(T0, T0 + DAY)).time_to_first_response.count
    assert 1 == desk_report([t], now=NOW, period=(T0 + DAY, NOW)).time_to_first_response.count


# -- first-contact resolution, reopens and escalations -------------------------------------


def test_first_contact_allows_first_assignment_and_a_change_of_agent() -> None:
    """
    Getting a first group, or another agent of the same group, is still first contact.
    """
    t = fire(working(), Trigger.ASSIGN, T0 + H, assignee="kim")
    direct = resolve(incident("T-2", priority="P2"), T0 + H)
    desk = desk_report([resolve(t, T0 + 2 * H), direct], now=NOW)
    assert (2, 1.0) == (desk.first_contact, desk.first_contact_rate)


@pytest.mark.parametrize(
    "detour",
    [
        lambda t: fire(t, Trigger.ASSIGN, T0 + H, group="network"),
        lambda t: fire(t, Trigger.ESCALATE, T0 + H, tier=2),
        lambda t: fire(t, Trigger.REQUEST_INFO, T0 + H),
        lambda t: fire(resolve(t, T0 + H), Trigger.REOPEN, T0 + H),
    ],
    ids=["other group", "other tier", "request_info", "reopened"],
)
def test_detours_are_not_first_contact(detour: Callable[[Ticket], Ticket]) -> None:
    """
    Handed to another group or tier, asked for information or reopened: not first contact.
    """
    t = detour(working())
    if t.state == "pending":
        t = fire(t, Trigger.REPLY, T0 + 2 * H)
    desk = desk_report([resolve(t, T0 + 3 * H)], now=NOW)
    assert (1, 0, 0.0) == (desk.volume.resolved, desk.first_contact, desk.first_contact_rate)


def test_unresolved_tickets_are_never_first_contact() -> None:
    """
    First-contact resolution needs a resolution.
    """
    assert 0 == desk_report([working()], now=NOW).first_contact


def test_escalation_rate_is_the_share_that_reached_tier_two() -> None:
    """
    Escalated and returned to the first line still counts; a ticket logged at tier 2 too.
    """
    back = fire(
        fire(working("T-1"), Trigger.ESCALATE, T0 + H, tier=2), "return_to_first_line", T0 + 2 * H
    )
    logged = INCIDENT.open("T-2", title="Core switch", requester=ANN, at=T0, tier=2)
    plain = working("T-3")
    tickets = [resolve(t, T0 + 3 * H) for t in (back, logged, plain, working("T-4"))]
    desk = desk_report(tickets, now=NOW)
    assert (2, 0.5) == (desk.escalated, desk.escalation_rate)


# -- SLA compliance ------------------------------------------------------------------------


def sla_desk() -> list[Ticket]:
    """
    P2 tickets (30 min to respond, 8 h to resolve): on time, late, late and still open, no
    priority (no target), and just opened.
    """
    on_time = resolve(say(working("T-1"), T0 + 10 * M), T0 + 2 * H)
    late = resolve(say(working("T-2"), T0 + H), T0 + 9 * H)
    running_late = working("T-3")
    no_target = incident("T-4")
    running = working("T-5", at=NOW - 10 * M)
    return [on_time, late, running_late, no_target, running]


def test_sla_compliance_counts_met_and_breached_clocks_per_metric() -> None:
    """
    Met without breach over decided clocks; running breached clocks count, unbreached do not.
    """
    desk = desk_report(sla_desk(), now=NOW, sla=SlaPolicy.itil(ALWAYS))
    assert Compliance(met=1, breached=2) == desk.sla[Metric.RESOLUTION]
    assert Compliance(met=1, breached=2) == desk.sla[Metric.FIRST_RESPONSE]
    assert Compliance(met=1, breached=2) == desk.sla[Metric.PERIODIC_UPDATE]
    assert Compliance(met=0, breached=0) == desk.sla[Metric.NEXT_RESPONSE]
    assert 1 / 3 == desk.sla[Metric.RESOLUTION].rate
    assert {} == desk_report(sla_desk(), now=NOW).sla


def test_sla_clock_counts_in_the_period_it_was_decided() -> None:
    """
    A breach counts when it happened; a clock met on time counts when it was met.
    """
    policy = SlaPolicy.itil(ALWAYS)
    desk = desk_report(sla_desk(), now=NOW, sla=policy, period=(T0 + 8 * H, T0 + DAY))
    # Both late tickets breached resolution at 17:00, inside the window; the on-time one was
    # met at 11:00 and every first response was decided by 10:00, before it.
    assert Compliance(met=0, breached=2) == desk.sla[Metric.RESOLUTION]
    assert Compliance(met=0, breached=0) == desk.sla[Metric.FIRST_RESPONSE]


def test_sla_may_choose_a_policy_per_ticket() -> None:
    """
    A function of the ticket picks its policy; it must return an SlaPolicy.
    """
    strict, lax = SlaPolicy.itil(ALWAYS), SlaPolicy.itil(OFFICE)
    # 22 wall hours but 6 office hours: late on the 24x7 policy only.
    tickets = [resolve(working(i, at=T0 + 3 * H), T0 + DAY + H) for i in ("T-1", "T-2")]
    desk = desk_report(tickets, now=NOW, sla=lambda t: lax if t.id == "T-1" else strict)
    assert Compliance(met=1, breached=1) == desk.sla[Metric.RESOLUTION]
    t = tickets[0]
    with pytest.raises(InvalidInput, match=r"sla\(T-1\) must return an SlaPolicy, got str"):
        desk_report([t], now=NOW, sla=lambda _: "gold")  # type: ignore[arg-type,return-value]


# -- satisfaction --------------------------------------------------------------------------


def test_satisfaction_is_mean_rating_and_share_of_four_and_five() -> None:
    """
    Each ticket's latest rating counts; CSAT is the share of 4 and 5.
    """
    ratings = [5, 4, 2, 1]
    tickets = [rate(resolve(working(f"T-{r}"), T0 + H), T0 + 2 * H, r) for r in ratings]
    changed_mind = rate(rate(resolve(working("T-9"), T0 + H), T0 + 2 * H, 1), T0 + 3 * H, 4)
    desk = desk_report([*tickets, changed_mind], now=NOW)
    assert Satisfaction(count=5, sum_of_ratings=16, satisfied=3) == desk.satisfaction
    assert (3.2, 0.6) == (desk.satisfaction.mean, desk.satisfaction.csat)


def test_ratings_count_in_the_period_they_were_given() -> None:
    """
    A rating given after the period is not in it.
    """
    t = rate(resolve(working(), T0 + H), T0 + 2 * DAY, 5)
    assert 0 == desk_report([t], now=NOW, period=(T0, T0 + DAY)).satisfaction.count


# -- grouping and export -------------------------------------------------------------------


def test_by_groups_every_figure_by_the_current_field_value() -> None:
    """
    Groups are keyed by the ticket's current value, sorted, with None for no value.
    """
    network = resolve(working("T-1", group="network"), T0 + H)
    moved = fire(working("T-2", group="network"), Trigger.ASSIGN, T0 + H, group="apps")
    nobody = incident("T-3", priority="P2")
    desk = desk_report([network, moved, nobody], now=NOW, by="group")
    assert ["apps", "network", None] == list(desk.groups)
    assert Volume(1, 0, 1) == desk.groups["apps"].volume
    assert (Volume(1, 1, 0), 1) == (
        desk.groups["network"].volume,
        desk.groups["network"].first_contact,
    )
    assert Volume(1, 0, 1) == desk.groups[None].volume
    assert (Volume(3, 1, 2), "group") == (desk.volume, desk.by)


@pytest.mark.parametrize(
    ("by", "keys"),
    [
        ("priority", ["P2", "P3"]),
        ("kind", ["incident"]),
        ("assignee", ["lee", None]),
        ("category", [None]),
        ("service", [None]),
    ],
)
def test_by_accepts_each_ticket_field(by: str, keys: list[str | None]) -> None:
    """
    Priority, kind, assignee, category and service group as plain strings.
    """
    tickets = [working("T-1"), incident("T-2", priority="P3")]
    assert keys == list(desk_report(tickets, now=NOW, by=by).groups)


def test_to_rows_exports_plain_values_desk_first() -> None:
    """
    Rows are flat dicts of numbers, strings and None; durations in seconds.
    """
    t = rate(resolve(say(working(), T0 + 6 * M), T0 + H), T0 + 2 * H, 5)
    rows = desk_report([t, working("T-2", group="network")], now=NOW, by="group").to_rows()
    assert [(None, None), ("group", "network"), ("group", "service-desk")] == [
        (row["by"], row["key"]) for row in rows
    ]
    desk = rows[0]
    assert (2, 1, 1, 2, 0) == (
        desk["opened"],
        desk["resolved"],
        desk["backlog"],
        desk["opened_incident"],
        desk["opened_service_request"],
    )
    assert (3600.0, 360.0, 1.0, 1.0) == (
        desk["resolve_mean_s"],
        desk["first_response_p90_s"],
        desk["first_contact_rate"],
        desk["csat"],
    )
    assert all(isinstance(v, int | float | str | type(None)) for row in rows for v in row.values())
    assert not any(name.startswith(("sla_", "resolve_business")) for name in desk)


def test_to_row_has_sla_columns_with_a_policy() -> None:
    """
    With a policy, each metric gets met, breached and rate columns.
    """
    row = desk_report(sla_desk(), now=NOW, sla=SlaPolicy.itil(ALWAYS)).to_row()
    assert (1, 2, 1 / 3) == (
        row["sla_resolution_met"],
        row["sla_resolution_breached"],
        row["sla_resolution_rate"],
    )
    assert None is row["sla_next_response_rate"]
    assert 2 == row["resolve_business_count"]


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"now": datetime(2026, 3, 12)}, "now must be timezone-aware"),
        ({"period": (datetime(2026, 3, 1), NOW)}, "period start must be timezone-aware"),
        ({"period": (T0, datetime(2026, 3, 12))}, "period end must be timezone-aware"),
        ({"period": (NOW, T0)}, "period end 2026-03-02T09:00:00\\+00:00 is before its start"),
        ({"period": [T0, NOW]}, "period must be a \\(start, end\\) tuple"),
        ({"period": (T0,)}, "period must be a \\(start, end\\) tuple"),
        ({"by": "requester"}, "cannot group a report by 'requester'; accepted: group, category"),
        ({"sla": "gold"}, "sla must be an SlaPolicy or a function of a ticket, got str"),
        ({"workflows": [INCIDENT, INCIDENT]}, "two workflows for incident tickets"),
        ({"workflows": ["incident"]}, "workflows must be Workflow objects"),
        ({"workflows": [SERVICE_REQUEST]}, "ticket T-1: no workflow given for incident"),
    ],
)
def test_bad_arguments_raise_invalid_input(kwargs: dict[str, object], message: str) -> None:
    """
    Naive times, reversed or malformed periods, unknown fields and policies are refused.
    """
    arguments: dict[str, object] = {"now": NOW, **kwargs}
    with pytest.raises(InvalidInput, match=message):
        desk_report([working()], **arguments)  # type: ignore[arg-type]


def test_non_tickets_are_refused() -> None:
    """
    Only Ticket objects can be reported on.
    """
    with pytest.raises(InvalidInput, match="tickets must be Ticket objects, got str"):
        desk_report(["T-1"], now=NOW)  # type: ignore[list-item]
