"""
Time conditions (``InStateFor``, ``SinceEvent``, ``BeforeDue``): when they come true in business
time, which episode they are in, how ``All`` / ``AnyOf`` / ``Not`` compose their instants,
and ``next_rule_check``: the instant a ticket's time rules next need a look (no sweep).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from builders import ANN, LEE, OFFICE, H, M, incident, working
from deskflow import INCIDENT, SERVICE_REQUEST, Trigger
from deskflow._internal.rule_schedule import (
    next_rule_check,
    ready_of,
    rule_episode,
    time_context,
    time_key,
)
from deskflow._internal.rule_time import last_event
from deskflow.desk import Desk
from deskflow.enums import Metric, Priority, RuleTrigger
from deskflow.events import CommentAdded, RuleFired
from deskflow.rules import (
    AddTags,
    All,
    AnyOf,
    BeforeDue,
    BusinessDays,
    InStateFor,
    Not,
    Rule,
    RuleContext,
    RuleSet,
    SinceEvent,
)
from deskflow.sla import SlaPolicy
from deskflow.ticket import Ticket

TIME = frozenset({RuleTrigger.TIME})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def office_desk(*rules: Rule) -> Desk:
    """
    A desk on office hours (09:00-17:00 UTC weekdays) with these rules.
    """
    return Desk(
        sla={
            INCIDENT.kind: SlaPolicy.itil(OFFICE, workflow=INCIDENT),
            SERVICE_REQUEST.kind: SlaPolicy.itil(OFFICE, workflow=SERVICE_REQUEST),
        },
        rules=RuleSet(rules),
    )


def pending(at: datetime, ticket: Ticket | None = None) -> Ticket:
    """
    Lee's working ticket asked for information (pending) at ``at``.
    """
    ticket = ticket if ticket is not None else working(at=at)
    return INCIDENT.fire(ticket, Trigger.REQUEST_INFO, actor=LEE, at=at)


def context(ticket: Ticket, now: datetime, desk: Desk | None = None) -> RuleContext:
    return time_context(desk or office_desk(), ticket, now)


# Friday 6 March 2026, 15:00 UTC: two hours before the weekend.
FRIDAY = utc(2026, 3, 6, 15)


def test_in_state_for_business_days_waits_over_the_weekend() -> None:
    ticket = pending(FRIDAY)
    condition = InStateFor("pending", BusinessDays(2))
    assert utc(2026, 3, 10, 15) == condition.ready_at(context(ticket, FRIDAY))
    assert not condition.test(context(ticket, utc(2026, 3, 10, 14, 59)))
    assert condition.test(context(ticket, utc(2026, 3, 10, 15)))
    assert f"e{ticket.version - 1}" == condition.episode(context(ticket, FRIDAY))


def test_in_state_for_business_time() -> None:
    ticket = pending(FRIDAY)
    # 16 business hours from Friday 15:00: 2 h Friday, 8 h Monday, 6 h Tuesday.
    condition = InStateFor("pending", timedelta(hours=16))
    assert utc(2026, 3, 10, 15) == condition.ready_at(context(ticket, FRIDAY))


def test_in_state_for_another_state_is_not_in_an_episode() -> None:
    ticket = working(at=FRIDAY)
    condition = InStateFor("pending", BusinessDays(2))
    ctx = context(ticket, utc(2026, 3, 20, 12))
    assert condition.ready_at(ctx) is None
    assert condition.episode(ctx) is None
    assert not condition.test(ctx)
    [line] = condition.explain(ctx, ("if",))
    assert (("if",), False) == (line.path, line.held)
    assert "not in this episode" in line.text


def test_the_initial_state_is_episode_e0() -> None:
    ticket = incident(at=FRIDAY)
    condition = InStateFor("new", timedelta(minutes=10))
    ctx = context(ticket, FRIDAY)
    assert "e0" == condition.episode(ctx)
    assert FRIDAY + 10 * M == condition.ready_at(ctx)


def test_leaving_and_entering_again_is_a_new_episode() -> None:
    first = pending(FRIDAY)
    back = INCIDENT.fire(first, Trigger.REPLY, actor=ANN, at=FRIDAY + H)
    again = pending(utc(2026, 3, 9, 10), back)
    condition = InStateFor("pending", BusinessDays(2))
    one = condition.episode(context(first, FRIDAY))
    two = condition.episode(context(again, utc(2026, 3, 9, 10)))
    assert one != two
    assert two == f"e{again.version - 1}"
    assert utc(2026, 3, 11, 10) == condition.ready_at(context(again, utc(2026, 3, 9, 10)))


def test_explain_says_when() -> None:
    ticket = pending(FRIDAY)
    condition = InStateFor("pending", BusinessDays(2))
    [waiting] = condition.explain(context(ticket, FRIDAY))
    assert not waiting.held
    assert "in state pending for 2 business days: ready at 2026-03-10T15:00:00+00:00" == (
        waiting.text
    )
    [done] = condition.explain(context(ticket, utc(2026, 3, 11, 9)))
    assert done.held
    assert "ready since" in done.text


def test_since_event_counts_from_the_last_such_event() -> None:
    ticket = incident(at=FRIDAY)
    ticket = ticket.record(
        CommentAdded(at=FRIDAY + H, actor=ANN.id, body="any news?", author_role="requester")
    )
    condition = SinceEvent(RuleTrigger.REQUESTER_COMMENT, timedelta(hours=1))
    ctx = context(ticket, FRIDAY + H)
    # Friday 16:00 + 1 business hour = Friday 17:00 (closing).
    assert utc(2026, 3, 6, 17) == condition.ready_at(ctx)
    assert "e1" == condition.episode(ctx)
    assert SinceEvent(RuleTrigger.AGENT_REPLY, H).ready_at(ctx) is None
    assert "1:00:00 of business time since requester_comment" in condition.explain(ctx)[0].text


def test_since_assigned_is_a_change_of_group_or_assignee() -> None:
    ticket = working(at=FRIDAY)  # opened (e0), assigned (e1), started (e2)
    assert 1 == last_event(ticket, RuleTrigger.ASSIGNED)
    assert 2 == last_event(ticket, RuleTrigger.STATE_CHANGED)
    other = INCIDENT.fire(ticket, Trigger.ESCALATE, actor=LEE, at=FRIDAY, tier=2, group="network")
    assert 3 == last_event(other, RuleTrigger.ASSIGNED)  # handed to another group
    higher = INCIDENT.fire(other, Trigger.ESCALATE, actor=LEE, at=FRIDAY, tier=3)
    assert 3 == last_event(higher, RuleTrigger.ASSIGNED)  # same group and assignee


def test_before_due_comes_true_with_the_margin_left() -> None:
    # A P2 resolves in 8 business hours: opened Friday 15:00, due Monday 15:00.
    ticket = working(at=FRIDAY, priority="P2")
    condition = BeforeDue(Metric.RESOLUTION, timedelta(hours=2))
    ctx = context(ticket, FRIDAY)
    assert utc(2026, 3, 9, 13) == condition.ready_at(ctx)
    assert "resolution.c1" == condition.episode(ctx)
    assert condition.test(context(ticket, utc(2026, 3, 9, 13)))
    assert utc(2026, 3, 9, 15) == BeforeDue(Metric.RESOLUTION, BusinessDays(0)).ready_at(ctx)
    assert utc(2026, 3, 5, 15) == BeforeDue(Metric.RESOLUTION, BusinessDays(2)).ready_at(ctx)


def test_before_due_waits_while_the_clock_is_paused() -> None:
    ticket = pending(FRIDAY, working(at=FRIDAY, priority="P2"))  # resolution paused
    condition = BeforeDue(Metric.RESOLUTION, timedelta(hours=2))
    ctx = context(ticket, FRIDAY + H)
    assert condition.ready_at(ctx) is None
    assert not condition.test(ctx)
    assert BeforeDue(Metric.RESOLUTION, H).ready_at(RuleContext(ticket, FRIDAY, TIME_T)) is None


TIME_T = RuleTrigger.TIME


def test_before_due_within_the_margin_already_is_ready_now() -> None:
    ticket = working(at=FRIDAY, priority="P2")
    ctx = context(ticket, utc(2026, 3, 9, 14))
    assert ctx.now == BeforeDue(Metric.RESOLUTION, timedelta(hours=2)).ready_at(ctx)


def test_all_waits_for_the_latest_and_any_for_the_earliest() -> None:
    ticket = pending(FRIDAY)
    two, five = InStateFor("pending", BusinessDays(2)), InStateFor("pending", BusinessDays(5))
    ctx = context(ticket, FRIDAY)
    assert utc(2026, 3, 13, 15) == ready_of(All((two, five)), ctx)
    assert utc(2026, 3, 10, 15) == ready_of(AnyOf((two, five)), ctx)
    # A Not delays nothing; a branch that is not in its episode blocks an All.
    assert utc(2026, 3, 10, 15) == ready_of(All((two, Not(five))), ctx)
    assert ready_of(All((two, InStateFor("new", H))), ctx) is None
    assert utc(2026, 3, 10, 15) == ready_of(AnyOf((two, InStateFor("new", H))), ctx)
    assert ready_of(None, ctx) is None


def test_a_rule_episode_joins_its_time_conditions() -> None:
    ticket = pending(FRIDAY)
    rule = Rule(
        "r",
        TIME,
        (AddTags(("x",)),),
        AnyOf((InStateFor("pending", H), InStateFor("new", H))),
    )
    position = ticket.version - 1
    assert f"e{position}+-" == rule_episode(rule, context(ticket, FRIDAY))
    never = Rule("n", TIME, (AddTags(("x",)),), InStateFor("new", H))
    assert rule_episode(never, context(ticket, FRIDAY)) is None


REMIND = Rule("remind", TIME, (AddTags(("reminded",)),), InStateFor("pending", BusinessDays(2)))
RESOLVE = Rule("resolve", TIME, (AddTags(("late",)),), InStateFor("pending", BusinessDays(5)))


def test_next_rule_check_is_the_earliest_unfired_instant() -> None:
    desk = office_desk(REMIND, RESOLVE)
    ticket = pending(FRIDAY)
    assert utc(2026, 3, 10, 15) == next_rule_check(desk, ticket, FRIDAY)
    key = time_key(ticket, REMIND, f"e{ticket.version - 1}")
    fired = ticket.record(
        RuleFired(at=utc(2026, 3, 10, 15), actor="system", rule="remind", dedup_key=key)
    )
    assert utc(2026, 3, 13, 15) == next_rule_check(desk, fired, utc(2026, 3, 10, 15))


def test_a_ready_rule_not_fired_yet_is_due_now() -> None:
    desk = office_desk(REMIND)
    ticket = pending(FRIDAY)
    late = utc(2026, 3, 12, 10)
    assert late == next_rule_check(desk, ticket, late)


def test_no_time_rules_or_nothing_ahead_means_no_check() -> None:
    assert next_rule_check(office_desk(), pending(FRIDAY), FRIDAY) is None
    assert next_rule_check(office_desk(REMIND), working(at=FRIDAY), FRIDAY) is None
    event_rule = Rule("on open", frozenset({RuleTrigger.OPENED}), (AddTags(("x",)),))
    assert next_rule_check(office_desk(event_rule), pending(FRIDAY), FRIDAY) is None


def test_rules_for_other_kinds_are_left_out() -> None:
    only_requests = Rule(
        "remind",
        TIME,
        (AddTags(("x",)),),
        InStateFor("pending", BusinessDays(2)),
        kinds=frozenset({"service_request"}),
    )
    assert next_rule_check(office_desk(only_requests), pending(FRIDAY), FRIDAY) is None


def test_priority_is_read_as_the_enum() -> None:
    # A guard for the test data above: working() opens a P2.
    assert Priority.P2 == working(at=FRIDAY).priority
