"""
Properties of escalation under random timelines: ticks at instants moving forwards (and
repeating), with the ticket worked, acknowledged, resolved and reopened in between. Each
dedup key fires at most once overall, never before its threshold or ladder instant, never on
a clock without a target, and next_check_at is never later than the next action.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import event, given
from hypothesis import strategies as st

from builders import ANN, LEE, WEEKDAYS, M
from deskflow import INCIDENT, SYSTEM, Ticket, Trigger
from deskflow.calendars import BusinessCalendar
from deskflow.dedup import record_fired
from deskflow.enums import Metric
from deskflow.escalation import CompositePolicy, Fire
from deskflow.events import Acknowledged, ActionFired, CommentAdded
from deskflow.exceptions import InvalidTransition
from deskflow.policies.ladders import Ladder, LadderLevel, LadderPolicy
from deskflow.policies.notices import HierarchicalNotices, MappingDirectory, SlaNotices
from deskflow.policies.priority_rules import override_priority
from deskflow.policies.tiers import FunctionalTiers
from deskflow.sla import SlaPolicy, SlaReport

# Not builders.T0: a Friday afternoon, so that office-hours clocks run over a weekend.
T0 = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
CALENDARS = {
    "24x7": BusinessCalendar.always("UTC"),
    "office": BusinessCalendar("Europe/London", {d: ["09:00-17:00"] for d in WEEKDAYS}),
}
DIRECTORY = MappingDirectory(managers={"lee": "mia"}, supervisors={"service-desk": "sam"})
LADDER = Ladder(
    [
        LadderLevel(["kim", "lee"], delay=7 * M, mode="round_robin"),
        LadderLevel([], delay=3 * M),
        LadderLevel(["mia"], delay=20 * M),
    ],
    loops=2,
)
POLICY = CompositePolicy(
    [
        SlaNotices(directory=DIRECTORY),
        HierarchicalNotices(DIRECTORY, priorities={"P1", "P2"}),
        FunctionalTiers(
            {1: "service-desk", 2: "network", 3: "vendor"},
            {1: {"first_response": "75%"}, 2: {"periodic_update": "100%", "resolution": "50%"}},
        ),
        LadderPolicy(LADDER, name="on-call"),
    ]
)
STEPS = {step.mark: step for step in LADDER.steps}

OPERATIONS = [
    "wait",
    "wait",
    "wait",
    "assign",
    "assign",
    "start",
    "request_info",
    "reply",
    "comment",
    "ack",
    "raise",
    "resolve",
    "reopen",
]
GAPS = st.one_of(st.just(0), st.integers(0, 30), st.integers(0, 24 * 60))
TIMELINES = st.lists(st.tuples(GAPS, st.sampled_from(OPERATIONS)), min_size=1, max_size=20)


def work(ticket: Ticket, operation: str, now: datetime) -> Ticket:
    """
    Do ``operation`` to the ticket at ``now`` if the workflow allows it.
    """
    fire = {
        "assign": (Trigger.ASSIGN, LEE, {"group": "service-desk", "assignee": "lee"}),
        "start": (Trigger.START, LEE, {}),
        "request_info": (Trigger.REQUEST_INFO, LEE, {}),
        "reply": (Trigger.REPLY, ANN, {}),
        "resolve": (Trigger.RESOLVE, LEE, {"resolution": "fixed"}),
        "reopen": (Trigger.REOPEN, ANN, {}),
    }
    if operation in fire:
        trigger, actor, details = fire[operation]
        try:
            return INCIDENT.fire(ticket, trigger, actor=actor, at=now, **details)
        except InvalidTransition:
            return ticket
    if operation == "comment":
        return ticket.record(CommentAdded(at=now, actor="lee", body="Looking into it"))
    if operation == "ack":
        return ticket.record(Acknowledged(at=now, actor="kim"))
    if operation == "raise" and ticket.priority != "P1":
        return override_priority(ticket, "P1", actor=LEE, at=now, reason="spreading")
    return ticket


def instant_of(key: str, report: SlaReport, cycle_starts: list[datetime]) -> datetime:
    """
    The instant an action became due, worked out from its key without the policy's help.
    """
    _ticket, _policy, subject, cycle_label, mark = key.split("|")
    cycle = int(cycle_label.removeprefix("c"))
    if subject == "ladder":
        assert len(cycle_starts) == cycle  # only the current cycle pages
        return cycle_starts[cycle - 1] + STEPS[mark].offset
    if subject == "priority":
        assert len(cycle_starts) == cycle
        return report.at
    clock = report[Metric(subject)]
    assert clock.target is not None
    threshold = mark.partition("@")[0]
    [reached] = [r for r in clock.thresholds if (r.name, r.cycle) == (threshold, cycle)]
    return reached.at


@given(
    priority=st.sampled_from(["P1", "P2", "P3", None]),
    calendar=st.sampled_from(sorted(CALENDARS)),
    timeline=TIMELINES,
)
def test_each_action_fires_once_and_never_early(
    priority: str | None, calendar: str, timeline: list[tuple[int, str]]
) -> None:
    """
    Ticking a random timeline fires each key at most once, never before it is due, and
    next_check_at never sleeps past an action.
    """
    sla = SlaPolicy.itil(CALENDARS[calendar])
    now = T0
    ticket = INCIDENT.open("INC-1", title="VPN down", requester=ANN, at=now, priority=priority)
    cycle_starts = [now]
    fired: dict[str, datetime] = {}
    wake = POLICY.next_check_at(ticket, sla.evaluate(ticket, now), now)
    for gap, operation in timeline:
        now += gap * M
        before = ticket
        ticket = work(ticket, operation, now)
        if operation == "reopen" and ticket is not before:
            cycle_starts.append(now)
            event("reopened")
        report = sla.evaluate(ticket, now)
        actions = POLICY.evaluate(ticket, report, now)
        if ticket is before and actions:
            # Nothing happened since the last tick but time: the policy had said when.
            assert wake is not None
            assert wake <= now
        for action in actions:
            assert action.dedup_key not in fired
            assert instant_of(action.dedup_key, report, cycle_starts) <= now
            fired[action.dedup_key] = now
            event("fired: " + "|".join(action.dedup_key.split("|")[1:3]))
            if isinstance(action, Fire):
                # Every escalation a policy asks for is one the workflow accepts.
                ticket = INCIDENT.fire(
                    ticket, action.trigger, actor=SYSTEM, at=now, **action.details
                )
        ticket = record_fired(ticket, actions, at=now)
        report = sla.evaluate(ticket, now)
        assert [] == POLICY.evaluate(ticket, report, now)
        wake = POLICY.next_check_at(ticket, report, now)
        assert wake is None or wake > now
    assert sorted(fired) == sorted(
        e.dedup_key for e in ticket.history if isinstance(e, ActionFired)
    )
