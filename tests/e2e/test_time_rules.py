"""
Time rules end to end through `HelpDesk`, with instants computed by hand: the pending reminder
and auto-resolve, a new episode after the requester answers, the unassigned-P1 notice to the
default supervisor, and the next check time that makes a tick find exactly the tickets whose
rules are due (no sweep).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from builders import ANN, LEE, OFFICE, Rig, S, helpdesk
from deskflow import INCIDENT, SERVICE_REQUEST
from deskflow._internal.builtin_rules import (
    BUILTIN_TEXTS,
    pending_reminder_rules,
    unassigned_p1_rule,
)
from deskflow.calendars import BusinessCalendar
from deskflow.desk import Desk
from deskflow.enums import Metric, RuleTrigger
from deskflow.events import CommentAdded, RuleFired
from deskflow.policies.notices import MappingDirectory
from deskflow.rules import Rule, RuleSet
from deskflow.sla import MetricPolicy, SlaPolicy

#: An SLA that measures nothing: no clock makes a ticket due.
NO_TARGETS = {Metric.RESOLUTION: MetricPolicy({})}

# Friday 6 March 2026, 15:00 UTC: two business hours before the weekend.
FRIDAY = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


def quiet_desk(calendar: BusinessCalendar, *rules: Rule, **options: object) -> Desk:
    """
    A desk on ``calendar`` whose only time-based work is ``rules``: no SLA targets, no
    auto-close, so a ticket is due exactly when a rule may fire.
    """
    return Desk(
        sla={
            wf.kind: SlaPolicy(metrics=NO_TARGETS, calendar=calendar, workflow=wf)
            for wf in (INCIDENT, SERVICE_REQUEST)
        },
        auto_close_after=None,
        rules=RuleSet(rules),
        texts=BUILTIN_TEXTS,
        **options,  # type: ignore[arg-type]
    )


def pending_ticket(rig: Rig, at: datetime) -> str:
    """
    Ann's incident, taken by Lee, who asks her a question at ``at``: pending from then.
    """
    rig.clock.set(at)
    ticket = rig.desk.open(ANN, title="Printer jams").id
    rig.desk.assign(LEE, ticket, group="service-desk", assignee=LEE.id)
    rig.desk.start(LEE, ticket)
    rig.desk.request_info(LEE, ticket, question="Which tray?")
    return ticket


def tick_at(rig: Rig, at: datetime) -> list[str]:
    """
    Tick at ``at``; the tickets the tick checked.
    """
    rig.clock.set(at)
    return rig.desk.tick().checked


def firings(rig: Rig, ticket_id: str, rule: str) -> list[datetime]:
    return [
        e.at for e in rig.repo.get(ticket_id).history if isinstance(e, RuleFired) and e.rule == rule
    ]


def test_remind_after_two_business_days_pending_from_a_friday_afternoon() -> None:
    remind, resolve = pending_reminder_rules()
    rig = helpdesk(quiet_desk(OFFICE, remind, resolve))
    ticket = pending_ticket(rig, FRIDAY)
    # Friday 15:00 + 2 business days = Tuesday 10 March 15:00 (not Sunday 15:00).
    due = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    assert [] == rig.repo.due(due - S, 10)
    assert [] == tick_at(rig, datetime(2026, 3, 8, 15, 0, tzinfo=UTC))  # Sunday: not ticked
    assert [] == tick_at(rig, due - S)
    assert [ticket] == tick_at(rig, due)
    assert [due] == firings(rig, ticket, "remind pending requester")
    stored = rig.repo.get(ticket)
    reminder = [e for e in stored.history if isinstance(e, CommentAdded)][-1]
    assert reminder.at == due
    assert reminder.visibility == "public"
    assert "we are still waiting for your answer" in reminder.body
    assert "pending" == stored.state
    # Ticking on changes nothing: the reminder is not sent again in this episode.
    assert [] == tick_at(rig, due + timedelta(hours=1))
    assert [due] == firings(rig, ticket, "remind pending requester")


def test_auto_resolve_after_five_business_days() -> None:
    remind, resolve = pending_reminder_rules()
    rig = helpdesk(quiet_desk(OFFICE, remind, resolve))
    ticket = pending_ticket(rig, FRIDAY)
    tick_at(rig, datetime(2026, 3, 10, 15, 0, tzinfo=UTC))  # the reminder
    # Friday 15:00 + 5 business days = Friday 13 March 15:00.
    resolves = datetime(2026, 3, 13, 15, 0, tzinfo=UTC)
    assert [] == rig.repo.due(resolves - S, 10)
    assert [ticket] == tick_at(rig, resolves)
    stored = rig.repo.get(ticket)
    assert "resolved" == stored.state
    assert stored.resolution is not None
    assert "no answer" in stored.resolution
    assert [resolves] == firings(rig, ticket, "resolve pending")


def test_a_new_pending_episode_is_reminded_again() -> None:
    remind, _ = pending_reminder_rules()
    rig = helpdesk(quiet_desk(OFFICE, remind))
    ticket = pending_ticket(rig, FRIDAY)
    tick_at(rig, datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
    rig.clock.set(datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
    rig.desk.reply(ANN, ticket, body="Tray 2.")  # back to work: the episode ends
    rig.clock.set(datetime(2026, 3, 11, 10, 0, tzinfo=UTC))
    rig.desk.request_info(LEE, ticket, question="Still jamming?")  # a new episode
    again = datetime(2026, 3, 13, 10, 0, tzinfo=UTC)  # Wednesday 10:00 + 2 = Friday 10:00
    assert [] == tick_at(rig, again - S)
    assert [ticket] == tick_at(rig, again)
    assert [datetime(2026, 3, 10, 15, 0, tzinfo=UTC), again] == firings(
        rig, ticket, "remind pending requester"
    )


def test_answered_in_time_no_reminder_and_no_tick() -> None:
    remind, resolve = pending_reminder_rules()
    rig = helpdesk(quiet_desk(OFFICE, remind, resolve))
    ticket = pending_ticket(rig, FRIDAY)
    rig.clock.set(datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    rig.desk.reply(ANN, ticket, body="Tray 2.")
    assert [] == rig.repo.due(datetime(2026, 4, 1, tzinfo=UTC), 10)  # nothing ahead
    assert [] == firings(rig, ticket, "remind pending requester")


def test_an_unassigned_p1_with_no_group_notifies_the_default_supervisor() -> None:
    directory = MappingDirectory(supervisors={"*": "sam", "network": "nia"})
    rig = helpdesk(quiet_desk(OFFICE, unassigned_p1_rule(), directory=directory))
    # Friday 16:55: 5 business minutes left this week, 5 more on Monday.
    rig.clock.set(datetime(2026, 3, 6, 16, 55, tzinfo=UTC))
    ticket = rig.desk.open(ANN, title="Core switch down", impact="high", urgency="high").id
    assert "P1" == rig.repo.get(ticket).priority
    notice = datetime(2026, 3, 9, 9, 5, tzinfo=UTC)  # Monday 09:05
    assert [] == tick_at(rig, notice - S)
    assert [ticket] == tick_at(rig, notice)
    sent = [n for n in rig.notifier.sent if n.template == "unassigned_p1"]
    assert [("sam",)] == [tuple(n.recipients) for n in sent]
    assert [notice] == firings(rig, ticket, "unassigned P1 notice")
    assert [] == tick_at(rig, notice + timedelta(hours=2))  # once per ticket


def test_a_p1_taken_in_time_notifies_nobody() -> None:
    directory = MappingDirectory(supervisors={"*": "sam"})
    rig = helpdesk(quiet_desk(OFFICE, unassigned_p1_rule(), directory=directory))
    rig.clock.set(datetime(2026, 3, 6, 16, 55, tzinfo=UTC))
    ticket = rig.desk.open(ANN, title="Core switch down", impact="high", urgency="high").id
    rig.clock.set(datetime(2026, 3, 6, 16, 58, tzinfo=UTC))
    rig.desk.assign(LEE, ticket, group="service-desk", assignee=LEE.id)
    tick_at(rig, datetime(2026, 3, 9, 9, 5, tzinfo=UTC))
    assert [] == [n for n in rig.notifier.sent if n.template == "unassigned_p1"]
    assert [] == firings(rig, ticket, "unassigned P1 notice")


def test_a_p1_in_a_group_notifies_its_supervisor() -> None:
    directory = MappingDirectory(supervisors={"*": "sam", "network": "nia"})
    rig = helpdesk(quiet_desk(OFFICE, unassigned_p1_rule(), directory=directory))
    rig.clock.set(datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    ticket = rig.desk.open(ANN, title="Core switch down", impact="high", urgency="high").id
    rig.desk.assign(LEE, ticket, group="network")
    tick_at(rig, datetime(2026, 3, 9, 10, 10, tzinfo=UTC))
    sent = [n for n in rig.notifier.sent if n.template == "unassigned_p1"]
    assert [("nia",)] == [tuple(n.recipients) for n in sent]


def test_time_rules_only_for_their_trigger_kinds_are_checked() -> None:
    # A rule that runs on events only never makes a ticket due.
    remind, _ = pending_reminder_rules()
    on_event = Rule("on open", frozenset({RuleTrigger.OPENED}), remind.actions)
    rig = helpdesk(quiet_desk(OFFICE, on_event))
    pending_ticket(rig, FRIDAY)
    assert [] == rig.repo.due(datetime(2027, 1, 1, tzinfo=UTC), 10)
