"""
The built-in rules: the default desk (``desk.toml``) ships the same rules as
``builtin_rules()`` in Python, and they work end to end on it, with instants computed by hand
on its London calendar (the clocks go forward on Sunday 29 March 2026): the pending reminder
and auto-resolve under a 15-minute scheduler, the reopen on a requester's reply within the
window (and not past it), and the unassigned-P1 notice to the default supervisor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from builders import ANN, LEE, Rig, helpdesk
from deskflow._internal.builtin_rules import BUILTIN_TEXTS, builtin_rules
from deskflow.config import DEFAULT_CONFIG, load_desk
from deskflow.events import RuleFired

# Friday 27 March 2026, 15:00 in London (GMT): the last Friday before the clocks go forward.
FRIDAY = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)


def rig_at(at: datetime) -> Rig:
    return helpdesk(load_desk(DEFAULT_CONFIG), at=at)


def run_scheduler(rig: Rig, until: datetime, every: timedelta = timedelta(minutes=15)) -> None:
    """
    Tick every ``every`` from the clock's time until ``until``.
    """
    while rig.clock.now() < until:
        rig.clock.set(min(rig.clock.now() + every, until))
        rig.desk.tick()


def firings(rig: Rig, ticket_id: str, rule: str) -> list[datetime]:
    return [
        e.at for e in rig.repo.get(ticket_id).history if isinstance(e, RuleFired) and e.rule == rule
    ]


def test_the_default_desk_ships_the_builtin_rules() -> None:
    desk = load_desk(DEFAULT_CONFIG)
    assert builtin_rules() == desk.rules.rules
    assert BUILTIN_TEXTS.items() <= dict(desk.texts).items()


def test_pending_reminder_then_auto_resolve_on_the_default_desk() -> None:
    rig = rig_at(FRIDAY)
    ticket = rig.desk.open(ANN, title="Printer jams").id
    rig.desk.assign(LEE, ticket, group="service-desk", assignee=LEE.id)
    rig.desk.start(LEE, ticket)
    rig.desk.request_info(LEE, ticket, question="Which tray?")
    # Friday 15:00 GMT + 2 business days = Tuesday 31 March 15:00 BST (14:00 UTC).
    reminded = datetime(2026, 3, 31, 14, 0, tzinfo=UTC)
    run_scheduler(rig, reminded + timedelta(hours=1))
    assert [reminded] == firings(rig, ticket, "remind pending requester")
    # + 5 business days = Friday 3 April 15:00 BST.
    resolved = datetime(2026, 4, 3, 14, 0, tzinfo=UTC)
    run_scheduler(rig, resolved + timedelta(hours=1))
    assert [resolved] == firings(rig, ticket, "resolve pending")
    assert "resolved" == rig.repo.get(ticket).state
    # Ann hears of the question, the reminder (a public reply) and the resolution.
    told = [n.template for n in rig.notifier.sent if n.recipients == ("ann",)]
    assert ["information_requested", "public_reply", "ticket_resolved"] == told[-3:]


def resolved_ticket(rig: Rig) -> str:
    ticket = rig.desk.open(ANN, title="Printer jams").id
    rig.desk.assign(LEE, ticket, group="service-desk", assignee=LEE.id)
    rig.desk.start(LEE, ticket)
    rig.desk.resolve(LEE, ticket, resolution="Cleared the jam.")
    return ticket


def test_a_requester_reply_reopens_a_resolved_ticket() -> None:
    rig = rig_at(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    ticket = resolved_ticket(rig)
    rig.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    rig.desk.reply(ANN, ticket, body="It jams again.")
    stored = rig.repo.get(ticket)
    assert "in_progress" == stored.state
    assert [datetime(2026, 3, 2, 11, 0, tzinfo=UTC)] == firings(
        rig, ticket, "reopen on requester reply"
    )


def test_past_the_reopen_window_the_reply_is_only_a_comment() -> None:
    # Without auto-close, so the ticket is still resolved 8 days on (the window is 7).
    desk = attrs.evolve(load_desk(DEFAULT_CONFIG), auto_close_after=None)
    rig = helpdesk(desk, at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    ticket = resolved_ticket(rig)
    rig.clock.set(datetime(2026, 3, 10, 11, 0, tzinfo=UTC))
    rig.desk.reply(ANN, ticket, body="It jams again.")
    stored = rig.repo.get(ticket)
    assert "resolved" == stored.state
    [fired] = [e for e in stored.history if isinstance(e, RuleFired)]
    assert "reopen on requester reply" == fired.rule
    assert fired.actions[0].startswith("skipped")


def test_an_unassigned_p1_notifies_the_default_supervisor() -> None:
    # Friday 16:55 GMT: 5 business minutes left this week; the notice is due Monday 09:05 BST.
    rig = rig_at(datetime(2026, 3, 27, 16, 55, tzinfo=UTC))
    ticket = rig.desk.open(ANN, title="Core switch down", impact="high", urgency="high").id
    notice = datetime(2026, 3, 30, 8, 5, tzinfo=UTC)
    run_scheduler(rig, notice + timedelta(minutes=30), every=timedelta(minutes=5))
    assert [notice] == firings(rig, ticket, "unassigned P1 notice")
    sent = [n for n in rig.notifier.sent if n.template == "unassigned_p1"]
    assert [("sam.supervisor",)] == [tuple(n.recipients) for n in sent]
