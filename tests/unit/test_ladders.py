"""
The PagerDuty-style ladder against hand-simulated timelines: levels, loops, skipped empty
levels, round-robin, acknowledgement, resolve and reopen, dated versions, and bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from builders import ALWAYS, LEE, H, M, S
from deskflow import INCIDENT, SERVICE_REQUEST, Ticket, Trigger
from deskflow.dedup import record_fired
from deskflow.escalation import Notify
from deskflow.events import Acknowledged
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.policies.ladders import Ladder, LadderLevel, LadderPolicy, LadderVersion, LevelMode
from deskflow.sla import SlaPolicy

# Not builders.T0 (09:00): these ladders start paging at 02:00, in the night.
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SLA = SlaPolicy.itil(ALWAYS)

#: kim and lee take turns on level 1 (5 minutes); level 2 is empty; mia and noa are paged
#: together on level 3 (10 minutes); the whole ladder runs three times.
LADDER = Ladder(
    [
        LadderLevel(["kim", "lee"], delay=5 * M, mode=LevelMode.ROUND_ROBIN),
        LadderLevel([], delay=30 * M),
        LadderLevel(["mia", "noa"], delay=10 * M),
    ],
    loops=2,
)
POLICY = LadderPolicy(LADDER, name="on-call")

#: The timeline worked out by hand: minute, dedup mark, who is paged.
TIMELINE = [
    (0, "level1-loop0", ("kim",)),
    (5, "level3-loop0", ("mia", "noa")),
    (15, "level1-loop1", ("lee",)),
    (20, "level3-loop1", ("mia", "noa")),
    (30, "level1-loop2", ("kim",)),
    (35, "level3-loop2", ("mia", "noa")),
]


def opened(at: datetime = T0, priority: str = "P1") -> Ticket:
    return INCIDENT.open("INC-9", title="Site down", requester="nagios", at=at, priority=priority)


def tick(
    policy: LadderPolicy, ticket: Ticket, now: datetime
) -> tuple[Ticket, list[tuple[datetime, str, tuple[str, ...]]]]:
    """
    What a host's tick does: evaluate, carry out, record in the same save.
    """
    actions = policy.evaluate(ticket, SLA.evaluate(ticket, now), now)
    paged = [(now, a.dedup_key, a.recipients) for a in actions if isinstance(a, Notify)]
    return record_fired(ticket, actions, at=now), paged


def run_minutes(
    policy: LadderPolicy, ticket: Ticket, start: datetime, minutes: int
) -> tuple[Ticket, list[tuple[int, str, tuple[str, ...]]]]:
    """
    Tick every minute from ``start`` on; report pages as (minute from T0, mark, targets).
    """
    out: list[tuple[int, str, tuple[str, ...]]] = []
    for minute in range(minutes + 1):
        ticket, paged = tick(policy, ticket, start + minute * M)
        out.extend((int((at - T0) / M), key.rpartition("|")[2], who) for at, key, who in paged)
    return ticket, out


def next_check(policy: LadderPolicy, ticket: Ticket, now: datetime) -> datetime | None:
    return policy.next_check_at(ticket, SLA.evaluate(ticket, now), now)


def test_the_ladder_follows_the_hand_timeline() -> None:
    """
    Levels page in order, the empty level is skipped, round-robin rotates, loops repeat, then
    it stops.
    """
    _, pages = run_minutes(POLICY, opened(), T0, 90)
    assert TIMELINE == pages


def test_ticking_late_pages_everything_due_at_once() -> None:
    """
    A tick that comes late pages every step that fell due since, each once.
    """
    ticket, pages = tick(POLICY, opened(), T0 + 22 * M)
    assert [
        "INC-9|on-call|ladder|c1|level1-loop0",
        "INC-9|on-call|ladder|c1|level3-loop0",
        "INC-9|on-call|ladder|c1|level1-loop1",
        "INC-9|on-call|ladder|c1|level3-loop1",
    ] == [key for _, key, _ in pages]
    _, again = tick(POLICY, ticket, T0 + 22 * M)
    assert [] == again


def test_next_check_at_follows_the_steps() -> None:
    """
    next_check_at is now while a page is due, then the next step, and None after the last.
    """
    ticket = opened()
    assert T0 == next_check(POLICY, ticket, T0)
    ticket, _ = tick(POLICY, ticket, T0)
    assert T0 + 5 * M == next_check(POLICY, ticket, T0)
    ticket, _ = tick(POLICY, ticket, T0 + 35 * M)
    assert None is next_check(POLICY, ticket, T0 + 35 * M)


def test_acknowledge_stops_the_ladder() -> None:
    """
    An Acknowledged event stops paging for the cycle; nothing is scheduled after it.
    """
    ticket, pages = run_minutes(POLICY, opened(), T0, 16)
    assert TIMELINE[:3] == pages
    ticket = ticket.record(Acknowledged(at=T0 + 17 * M, actor="lee"))
    assert "acknowledged by lee" == ticket.history[-1].describe()
    assert ticket.history[-1].internal
    _, later = run_minutes(POLICY, ticket, T0 + 17 * M, 60)
    assert [] == later
    assert None is next_check(POLICY, ticket, T0 + 17 * M)


def test_an_acknowledgement_at_a_step_instant_wins() -> None:
    """
    A step due at the very instant of the acknowledgement is not paged.
    """
    ticket, _ = tick(POLICY, opened(), T0)
    ticket = ticket.record(Acknowledged(at=T0 + 5 * M, actor="kim"))
    _, pages = tick(POLICY, ticket, T0 + 5 * M)
    assert [] == pages


def test_starting_work_counts_as_acknowledgement() -> None:
    """
    Entering in_progress (an acknowledging state) stops the ladder like an Acknowledged event.
    """
    ticket, _ = run_minutes(POLICY, opened(), T0, 6)
    ticket = INCIDENT.fire(ticket, Trigger.ASSIGN, actor=LEE, at=T0 + 7 * M, assignee="lee")
    ticket = INCIDENT.fire(ticket, Trigger.START, actor=LEE, at=T0 + 12 * M)
    _, pages = run_minutes(POLICY, ticket, T0 + 12 * M, 60)
    assert [] == pages


def test_assignment_alone_does_not_acknowledge() -> None:
    """
    Assigning the ticket is not an acknowledgement: the ladder keeps paging.
    """
    ticket = INCIDENT.fire(opened(), Trigger.ASSIGN, actor=LEE, at=T0 + 2 * M, assignee="lee")
    _, pages = run_minutes(POLICY, ticket, T0 + 2 * M, 20)
    # The first page was not ticked before the assignment: it goes out late, at minute 2.
    assert [mark for _, mark, _ in TIMELINE[:4]] == [mark for _, mark, _ in pages]


def test_configured_acknowledging_states() -> None:
    """
    With acknowledged_states={"assigned"} an assignment stops the ladder.
    """
    policy = LadderPolicy(LADDER, name="on-call", acknowledged_states={"assigned"})
    ticket = INCIDENT.fire(opened(), Trigger.ASSIGN, actor=LEE, at=T0 + 2 * M, assignee="lee")
    _, pages = run_minutes(policy, ticket, T0 + 2 * M, 60)
    assert [] == pages


def test_resolve_stops_and_reopen_restarts_the_ladder() -> None:
    """
    Resolving stops paging; a reopen starts the ladder again from level 1 in a new cycle.
    """
    ticket, _ = run_minutes(POLICY, opened(), T0, 6)
    ticket = INCIDENT.fire(ticket, Trigger.RESOLVE, actor=LEE, at=T0 + 8 * M, resolution="ok")
    ticket, quiet = run_minutes(POLICY, ticket, T0 + 8 * M, 52)
    assert [] == quiet
    # The reopen moves the ticket to in_progress: that is not an acknowledgement.
    ticket = INCIDENT.fire(ticket, Trigger.REOPEN, actor=LEE, at=T0 + H)
    ticket, pages = tick(POLICY, ticket, T0 + H)
    assert [(T0 + H, "INC-9|on-call|ladder|c2|level1-loop0", ("kim",))] == pages
    assert T0 + H + 5 * M == next_check(POLICY, ticket, T0 + H)
    ticket = ticket.record(Acknowledged(at=T0 + H + M, actor="kim"))
    assert None is next_check(POLICY, ticket, T0 + H + M)


def test_the_ladder_in_effect_at_opening_is_used() -> None:
    """
    Publishing a new ladder changes the paging of tickets opened after it, not before.
    """
    newer = Ladder([LadderLevel(["zoe"], delay=2 * M)])
    policy = POLICY.publish(T0 + 30 * M, newer)
    old_ticket = opened()
    _, pages = run_minutes(policy, old_ticket, T0, 90)
    assert TIMELINE == pages
    assert LADDER == policy.ladder_for(old_ticket)
    new_ticket = opened(at=T0 + H)
    assert newer == policy.ladder_for(new_ticket)
    _, pages = run_minutes(policy, new_ticket, T0 + H, 10)
    assert [(60, "level1-loop0", ("zoe",))] == pages


def test_a_ticket_opened_before_any_ladder_is_not_paged() -> None:
    """
    With no version in effect when the ticket was opened, the policy does nothing.
    """
    policy = LadderPolicy({T0 + H: LADDER})
    ticket = opened()
    assert None is policy.ladder_for(ticket)
    _, pages = run_minutes(policy, ticket, T0, 90)
    assert [] == pages
    assert None is next_check(policy, ticket, T0 + 90 * M)


def test_versions_are_kept_in_date_order() -> None:
    """
    Dated versions given in any order are sorted; a ladder alone is in effect since always.
    """
    newer = Ladder([LadderLevel(["zoe"])])
    policy = LadderPolicy([(T0 + H, newer), LadderVersion(T0 - H, LADDER)])
    assert [T0 - H, T0 + H] == [v.effective_from for v in policy.versions]
    assert LADDER == policy.ladder_for(opened())


def test_timing_is_wall_clock_across_a_dst_change() -> None:
    """
    Steps are real elapsed time from the opening, even when the clocks go forward.
    """
    london = ZoneInfo("Europe/London")
    start = datetime(2026, 3, 29, 0, 30, tzinfo=london)  # clocks go forward at 01:00
    policy = LadderPolicy(Ladder([LadderLevel(["kim"], delay=H), LadderLevel(["mia"])]))
    ticket, _ = tick(policy, opened(at=start), start)
    real = start.astimezone(UTC)
    assert real + H == next_check(policy, ticket, real)
    _, pages = tick(policy, ticket, real + H - M)
    assert [] == pages
    _, pages = tick(policy, ticket, real + H)
    assert [("mia",)] == [who for _, _, who in pages]


def test_round_robin_with_one_target_pages_it_every_pass() -> None:
    """
    Round-robin over a single target pages that target on every pass.
    """
    ladder = Ladder([{"targets": "kim", "delay": 3, "mode": "round_robin"}], loops=2)
    assert [("kim",)] * 3 == [step.targets for step in ladder.steps]
    assert [0, 3, 6] == [int(step.offset / M) for step in ladder.steps]


def test_pages_are_internal_notices_with_the_template() -> None:
    """
    A page is an internal notice with the policy's template and a reason naming the step.
    """
    policy = LadderPolicy(LADDER, name="on-call", template="page")
    [action] = policy.evaluate(opened(), SLA.evaluate(opened(), T0), T0)
    assert isinstance(action, Notify)
    assert ("page", True) == (action.template, action.internal)
    assert "level 1, pass 1 of 3 of ladder 'on-call'" in action.reason


def test_service_requests_acknowledge_in_fulfilment() -> None:
    """
    On the service-request workflow the default acknowledging state is in_fulfilment.
    """
    policy = LadderPolicy(LADDER, workflow=SERVICE_REQUEST)
    assert frozenset({"in_fulfilment"}) == policy.acknowledged_states


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Ladder([]), r"^levels: a ladder needs at least one level"),
        (lambda: Ladder("kim"), r"^levels: expected a list of levels"),
        (lambda: Ladder([LadderLevel([])]), r"^levels: no level of the ladder has a target"),
        (lambda: Ladder([{"targets": ["kim"], "delay": 0.5}]), r"^levels\.0\.delay: must be at"),
        (
            lambda: Ladder([LadderLevel(["a"]), {"targets": ["b"], "delay": 30 * S}]),
            r"^levels\.1\.delay: must be at least 1 minute, got 0:00:30",
        ),
        (lambda: Ladder([{"targets": ["kim"], "delay": "5m"}]), r"^levels\.0\.delay: expected"),
        (lambda: Ladder([{"targets": ["kim"], "mode": "random"}]), r"^levels\.0\.mode: mode must"),
        (lambda: Ladder([{"targets": ["kim"], "wait": 5}]), r"^levels\.0: unknown fields wait"),
        (lambda: Ladder([{"delay": 5}]), r"^levels\.0: a level needs targets"),
        (lambda: Ladder([{"targets": [1]}]), r"^levels\.0\.targets: a target is an agent id"),
        (lambda: Ladder([{"targets": 7}]), r"^levels\.0\.targets: expected agent ids"),
        (lambda: Ladder([["kim"]]), r"^levels\.0: expected a LadderLevel"),
        (lambda: Ladder([LadderLevel(["kim"])], loops=10), r"^loops: must be an int from 0 to 9"),
        (lambda: Ladder([LadderLevel(["kim"])], loops=-1), r"^loops: must be an int from 0 to 9"),
        (lambda: Ladder([LadderLevel(["kim"])], loops="2"), r"^loops: must be an int"),
        (lambda: LadderLevel(["kim"], delay=timedelta(0)), r"^delay: must be at least 1 minute"),
        (lambda: LadderPolicy([]), r"^versions: a ladder policy needs at least one ladder"),
        (lambda: LadderPolicy("ladder"), r"^versions: expected a Ladder or dated ladders"),
        (lambda: LadderPolicy([LADDER]), r"^versions: expected \(effective_from, Ladder\)"),
        (
            lambda: LadderPolicy({datetime(2026, 3, 2): LADDER}),
            r"^versions: effective_from must be timezone-aware",
        ),
        (lambda: LadderPolicy({T0: "ladder"}), r"^versions: expected a Ladder"),
        (
            lambda: LadderPolicy([(T0, LADDER), (T0, LADDER)]),
            r"^versions: two ladders take effect at 2026-03-02T02:00:00\+00:00",
        ),
        (
            lambda: LadderPolicy(LADDER, acknowledged_states={"acked"}),
            r"^acknowledged_states: unknown state 'acked' of workflow 'incident'",
        ),
        (lambda: LadderPolicy(LADDER, acknowledged_states=3), r"^acknowledged_states: expected"),
        (lambda: LadderPolicy(LADDER, name=""), r"^name: name must not be empty"),
        (lambda: POLICY.publish(T0, "ladder"), r"^versions: expected a Ladder"),  # type: ignore[arg-type]
    ],
)  # fmt: skip
def test_bad_ladders_are_config_errors(build: Callable[[], object], message: str) -> None:
    """
    Every bad ladder is a ConfigError saying what is wrong and where.
    """
    with pytest.raises(ConfigError, match=message):
        build()


def test_bad_arguments_are_invalid_input() -> None:
    """
    A naive instant, to evaluate or to publish at, is an InvalidInput.
    """
    ticket = opened()
    report = SLA.evaluate(ticket, T0)
    with pytest.raises(InvalidInput, match="now must be timezone-aware"):
        POLICY.evaluate(ticket, report, datetime(2026, 3, 2, 3))
    with pytest.raises(InvalidInput, match="precedes the ticket's last change"):
        POLICY.next_check_at(ticket, report, T0 - M)
    with pytest.raises(InvalidInput, match="effective_from must be timezone-aware"):
        POLICY.publish(datetime(2026, 3, 2), LADDER)
