"""
Escalation: actions and their dedup keys, SLA threshold notices, hierarchical notices,
functional tiers, the composite, next_check_at, plug-ins and bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from builders import ALWAYS, LEE, OFFICE, T0, H, M
from deskflow import INCIDENT, Ticket, Trigger, plugins
from deskflow.calendars import BusinessCalendar
from deskflow.dedup import action_key, current_cycle, fired_keys, record_fired
from deskflow.enums import Metric
from deskflow.escalation import (
    CompositePolicy,
    EscalationAction,
    EscalationPolicy,
    Fire,
    Notify,
    RaisePriority,
    Reassign,
    SetTier,
    check_thresholds,
)
from deskflow.events import ActionFired, Escalated
from deskflow.exceptions import ConfigError, InvalidInput, InvalidTransition
from deskflow.policies.ladders import LadderPolicy
from deskflow.policies.notices import (
    SERVICENOW_NOTICES,
    HierarchicalNotices,
    MappingDirectory,
    SlaNotices,
)
from deskflow.policies.priority_rules import override_priority
from deskflow.policies.tiers import FunctionalTiers
from deskflow.sla import MetricPolicy, SlaPolicy, Threshold

SLA = SlaPolicy.itil(ALWAYS)
DIRECTORY = MappingDirectory(
    managers={"lee": "mia"}, supervisors={"service-desk": "sam", "network": "nia"}
)
TIERS = {1: "service-desk", 2: "network", 3: "vendor"}


def opened(priority: str | None = "P2", at: datetime = T0, group: str | None = None) -> Ticket:
    return INCIDENT.open(
        "INC-1", title="VPN down", requester="ann", at=at, priority=priority, group=group
    )


def assigned(priority: str | None = "P2", at: datetime = T0) -> Ticket:
    t = opened(priority, at)
    return INCIDENT.fire(t, Trigger.ASSIGN, actor=LEE, at=at, group="service-desk", assignee="lee")


def run(
    policy: EscalationPolicy, ticket: Ticket, now: datetime, sla: SlaPolicy = SLA
) -> list[EscalationAction]:
    return policy.evaluate(ticket, sla.evaluate(ticket, now), now)


def check_at(
    policy: EscalationPolicy, ticket: Ticket, now: datetime, sla: SlaPolicy = SLA
) -> datetime | None:
    return policy.next_check_at(ticket, sla.evaluate(ticket, now), now)


def keys(actions: Sequence[EscalationAction]) -> list[str]:
    return [a.dedup_key for a in actions]


def resolution_notices(**options: object) -> SlaNotices:
    return SlaNotices({"resolution": SERVICENOW_NOTICES}, DIRECTORY, **options)  # type: ignore[arg-type]


# -- actions and dedup -------------------------------------------------------------------


def test_action_key_names_ticket_policy_metric_cycle_and_threshold() -> None:
    """
    A dedup key joins ticket, policy, metric, cycle and threshold.
    """
    assert "INC-1|sla-notices|resolution|c2|75%" == action_key(
        "INC-1", "sla-notices", Metric.RESOLUTION, 2, "75%"
    )


def test_record_fired_appends_one_event_per_action() -> None:
    """
    record_fired appends an ActionFired per action, saying what was done, and the keys read back.
    """
    notify = Notify(recipients="kim", template="page", dedup_key="k1", reason="paged")
    fire = Fire(trigger=Trigger.ESCALATE, details={"tier": 2}, dedup_key="k2", reason="late")
    t = record_fired(assigned(), [notify, fire], at=T0 + M)
    fired = [e for e in t.history if isinstance(e, ActionFired)]
    assert ["k1", "k2"] == [e.dedup_key for e in fired]
    assert "notify kim (page): paged" == fired[0].action
    assert "fire escalate (tier=2): late" == fired[1].action
    assert "system" == fired[0].actor
    assert frozenset({"k1", "k2"}) == fired_keys(t)
    assert t == Ticket.replay(t.history)


def test_record_fired_records_a_key_once() -> None:
    """
    A key already recorded, or repeated in the list, is recorded once only.
    """
    notify = Notify(recipients=["kim"], template="page", dedup_key="k1", reason="paged")
    t = record_fired(assigned(), [notify, notify], at=T0, actor=LEE)
    t = record_fired(t, [notify], at=T0 + M)
    assert 1 == sum(isinstance(e, ActionFired) for e in t.history)
    assert "lee" == t.history[-1].actor


def test_escalated_notes_with_a_key_count_as_fired() -> None:
    """
    A keyed Escalated event recorded by a host keeps its key from firing again, and still
    gets its ActionFired when the host records the action in the same save.
    """
    t = assigned().record(
        Escalated(at=T0, actor="system", notified=("sam",), reason="P1", dedup_key="k")
    )
    assert frozenset({"k"}) == fired_keys(t)
    notify = Notify(recipients="sam", template="t", dedup_key="k", reason="P1")
    t = record_fired(t, [notify], at=T0)
    assert ["k"] == [e.dedup_key for e in t.history if isinstance(e, ActionFired)]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Notify(recipients=[], template="t", dedup_key="k", reason="r"), "recipient"),
        (lambda: Notify(recipients=[""], template="t", dedup_key="k", reason="r"), "recipient"),
        (lambda: Notify(recipients=5, template="t", dedup_key="k", reason="r"), "recipients"),  # type: ignore[arg-type]
        (lambda: Notify(recipients=["a"], template="", dedup_key="k", reason="r"), "template"),
        (lambda: Notify(recipients=["a"], template="t", dedup_key="", reason="r"), "dedup_key"),
        (lambda: Notify(recipients=["a"], template="t", dedup_key="k", reason=" "), "reason"),
        (lambda: SetTier(tier=0, dedup_key="k", reason="r"), "tier"),
        (lambda: Reassign(dedup_key="k", reason="r"), "a group, an agent"),
        (lambda: RaisePriority(priority="P9", dedup_key="k", reason="r"), "priority"),
        (lambda: Fire(trigger="", dedup_key="k", reason="r"), "trigger"),
        (lambda: Fire(trigger="t", details={"x": 1.5}, dedup_key="k", reason="r"), "detail"),  # type: ignore[dict-item]
        (lambda: Fire(trigger="t", details=[("x", 1)], dedup_key="k", reason="r"), "mapping"),  # type: ignore[arg-type]
    ],
)
def test_bad_actions_are_invalid_input(build: Callable[[], object], message: str) -> None:
    """
    An action with a missing or malformed field is an InvalidInput naming it.
    """
    with pytest.raises(InvalidInput, match=message):
        build()


def test_actions_describe_themselves() -> None:
    """
    Every kind of action has a one-line description for the audit trail.
    """
    assert (
        "set tier 2 (network): late"
        == SetTier(tier=2, group="network", dedup_key="k", reason="late").describe()
    )
    assert (
        "reassign to network / kim: late"
        == Reassign(group="network", agent="kim", dedup_key="k", reason="late").describe()
    )
    assert (
        "raise priority to P2: VIP"
        == RaisePriority(priority="P2", dedup_key="k", reason="VIP").describe()
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: record_fired(t, [], at=datetime(2026, 3, 2, 9)), "timezone-aware"),
        (lambda t: record_fired(t, ["notify"], at=T0), "expected an escalation action"),  # type: ignore[list-item]
        (
            lambda t: record_fired(
                t,
                Notify(recipients="a", template="t", dedup_key="k", reason="r"),  # type: ignore[arg-type]
                at=T0,
            ),
            "actions must be a list of actions",
        ),
        (lambda t: record_fired(t, [], at=T0, actor=""), "actor"),
        (lambda t: record_fired("INC-1", [], at=T0), "must be a Ticket"),  # type: ignore[arg-type]
        (lambda t: fired_keys("INC-1"), "must be a Ticket"),  # type: ignore[arg-type]
    ],
)
def test_bad_record_fired_arguments(call: Callable[[Ticket], object], message: str) -> None:
    """
    record_fired and fired_keys refuse bad arguments with InvalidInput.
    """
    with pytest.raises(InvalidInput, match=message):
        call(assigned())


def test_current_cycle_counts_reopens() -> None:
    """
    A work cycle begins at the opening and at each reopen.
    """
    t = assigned()
    assert (1, T0) == (current_cycle(t).number, current_cycle(t).started_at)
    t = INCIDENT.fire(t, Trigger.RESOLVE, actor=LEE, at=T0 + H, resolution="fixed")
    assert 1 == current_cycle(t).number
    t = INCIDENT.fire(t, Trigger.REOPEN, actor=LEE, at=T0 + 2 * H)
    assert (2, T0 + 2 * H) == (current_cycle(t).number, current_cycle(t).started_at)


# -- SLA threshold notices ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (4 * H - M, []),
        (4 * H, [("50%", ("lee",), "sla-warning")]),
        (6 * H, [("50%", ("lee",), "sla-warning"), ("75%", ("lee", "mia"), "sla-warning")]),
        (
            9 * H,
            [
                ("50%", ("lee",), "sla-warning"),
                ("75%", ("lee", "mia"), "sla-warning"),
                ("100%", ("lee", "mia"), "sla-breach"),
            ],
        ),
    ],
)
def test_servicenow_notices_of_a_p2_resolution_clock(
    elapsed: timedelta, expected: list[tuple[str, tuple[str, ...], str]]
) -> None:
    """
    A P2 (8h) notifies the assignee at 50%, assignee and manager at 75% and at the breach.
    """
    actions = run(resolution_notices(), assigned(), T0 + elapsed)
    assert [
        (f"INC-1|sla-notices|resolution|c1|{name}", who, template)
        for name, who, template in expected
    ] == [(a.dedup_key, a.recipients, a.template) for a in actions if isinstance(a, Notify)]
    assert all(a.internal for a in actions if isinstance(a, Notify))


def test_default_notices_watch_every_metric() -> None:
    """
    Without rules every metric follows ServiceNow's table: first response warns at 15 minutes.
    """
    actions = run(SlaNotices(directory=DIRECTORY), assigned(), T0 + 15 * M)
    assert ["INC-1|sla-notices|first_response|c1|50%"] == keys(actions)


def test_a_recorded_notice_never_fires_again() -> None:
    """
    Once recorded, a notice is not returned again at the same instant or any later one.
    """
    policy = resolution_notices()
    t = assigned()
    t = record_fired(t, run(policy, t, T0 + 6 * H), at=T0 + 6 * H)
    assert [] == run(policy, t, T0 + 6 * H)
    assert [] == run(policy, t, T0 + 7 * H)
    assert ["INC-1|sla-notices|resolution|c1|100%"] == keys(run(policy, t, T0 + 8 * H))


def test_unresolvable_recipients_are_dropped() -> None:
    """
    Tokens that resolve to nobody are dropped; with nobody left there is no notice.
    """
    policy = resolution_notices()
    nobody = opened()  # no assignee, so no manager either
    assert [] == run(policy, nobody, T0 + 9 * H)
    t = INCIDENT.fire(opened(), Trigger.ASSIGN, actor=LEE, at=T0, assignee="kim")
    assert [("kim",), ("kim",), ("kim",)] == [
        a.recipients for a in run(policy, t, T0 + 9 * H) if isinstance(a, Notify)
    ]


def test_directory_lookup_errors_count_as_unknown() -> None:
    """
    A directory that raises KeyError for someone it does not know loses only that recipient.
    """

    class Strict:
        def manager_of(self, agent_id: str) -> str | None:
            raise KeyError(agent_id)

        def supervisor_of(self, group: str) -> str | None:
            return {"service-desk": "sam"}[group]

    policy = SlaNotices(
        {"resolution": {"75%": ["assignee", "manager", "supervisor", "group"]}}, Strict()
    )
    [action] = run(policy, assigned(), T0 + 6 * H)
    assert isinstance(action, Notify)
    assert ("lee", "sam", "service-desk") == action.recipients


def test_literal_agents_and_duplicates() -> None:
    """
    An agent:<id> token names one person; a person named twice is notified once.
    """
    policy = SlaNotices({"resolution": {"50%": ["assignee", "agent:lee", "agent:ops"]}})
    [action] = run(policy, assigned(), T0 + 4 * H)
    assert isinstance(action, Notify)
    assert ("lee", "ops") == action.recipients


def test_no_notice_on_a_clock_without_a_target() -> None:
    """
    A ticket without a priority has clocks without targets and never raises a notice.
    """
    assert [] == run(SlaNotices(directory=DIRECTORY), assigned(priority=None), T0 + 100 * H)


def test_a_met_clock_tells_once_what_it_passed_before_it_was_met() -> None:
    """
    Thresholds passed before a clock was met, but never told (no tick ran in between),
    are told once; once recorded, a met clock raises nothing more, however late.
    """
    t = assigned()
    t = INCIDENT.fire(t, Trigger.RESOLVE, actor=LEE, at=T0 + 7 * H, resolution="fixed")
    policy = resolution_notices()
    late = run(policy, t, T0 + 7 * H)
    assert ["50%", "75%"] == [a.dedup_key.rsplit("|", 1)[-1] for a in late]
    t = record_fired(t, late, at=T0 + 7 * H)
    assert [] == run(policy, t, T0 + 100 * H)


def test_a_paused_clock_still_notifies_what_it_passed() -> None:
    """
    A threshold passed before the clock paused is still notified while it is paused.
    """
    t = INCIDENT.fire(assigned(), Trigger.REQUEST_INFO, actor=LEE, at=T0 + 5 * H)
    assert ["INC-1|sla-notices|resolution|c1|50%"] == keys(run(resolution_notices(), t, T0 + 9 * H))
    assert None is check_at(
        resolution_notices(),
        record_fired(t, run(resolution_notices(), t, T0 + 9 * H), at=T0 + 9 * H),
        T0 + 9 * H,
    )


def test_a_reopened_ticket_starts_a_new_cycle() -> None:
    """
    After a reopen, thresholds passed in the new cycle fire with new keys; old ones do not.
    """
    policy = resolution_notices()
    t = assigned()
    t = record_fired(t, run(policy, t, T0 + 6 * H), at=T0 + 6 * H)
    t = INCIDENT.fire(t, Trigger.RESOLVE, actor=LEE, at=T0 + 7 * H, resolution="fixed")
    t = INCIDENT.fire(t, Trigger.REOPEN, actor=LEE, at=T0 + 7 * H + 30 * M)
    assert [] == run(policy, t, T0 + 8 * H)
    # The clock resumes with 7h used: the 8h target is reached at 8h30.
    assert ["INC-1|sla-notices|resolution|c2|100%"] == keys(run(policy, t, T0 + 8 * H + 30 * M))


def test_thresholds_on_an_office_calendar() -> None:
    """
    On office hours a P2 opened Friday 15:00 passes 50% on Monday 11:00, not over the weekend.
    """
    sla = SlaPolicy.itil(OFFICE)
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    policy = resolution_notices()
    t = assigned(at=friday)
    assert [] == run(policy, t, friday + 2 * 24 * H, sla)
    monday = datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
    assert [] == run(policy, t, monday - M, sla)
    assert ["INC-1|sla-notices|resolution|c1|50%"] == keys(run(policy, t, monday, sla))
    assert monday == check_at(policy, t, friday + H, sla)


def test_notices_at_a_time_before_due() -> None:
    """
    A threshold given as a time before due fires at that offset before the breach.
    """
    sla = SlaPolicy(
        metrics={
            Metric.RESOLUTION: MetricPolicy(
                {"P2": 8 * H}, thresholds=[Threshold.before_due(30 * M), Threshold.percent(100)]
            )
        },
        calendar=BusinessCalendar.always("UTC"),
    )
    policy = SlaNotices({"resolution": {timedelta(minutes=30): "assignee"}})
    assert [] == run(policy, assigned(), T0 + 7 * H + 29 * M, sla)
    [action] = run(policy, assigned(), T0 + 7 * H + 30 * M, sla)
    assert "INC-1|sla-notices|resolution|c1|due-30m" == action.dedup_key
    check_thresholds(policy, sla)
    with pytest.raises(ConfigError, match="reports no threshold due-30m for resolution"):
        check_thresholds(policy, SLA)


def test_check_thresholds_needs_the_metric() -> None:
    """
    Watching a metric the SLA policy has no clock for is a ConfigError.
    """
    sla = SlaPolicy(
        metrics={Metric.RESOLUTION: MetricPolicy({"P2": 8 * H})},
        calendar=BusinessCalendar.always("UTC"),
    )
    with pytest.raises(ConfigError, match="has no first_response clock"):
        check_thresholds(SlaNotices(), sla)
    with pytest.raises(InvalidInput, match="SlaPolicy"):
        check_thresholds(SlaNotices(), "itil")  # type: ignore[arg-type]
    check_thresholds(resolution_notices(), sla)


# -- next_check_at -----------------------------------------------------------------------


def test_next_check_at_walks_the_thresholds() -> None:
    """
    next_check_at is the next threshold, now while one is due, and None after the breach.
    """
    policy = resolution_notices()
    t = assigned()
    assert T0 + 4 * H == check_at(policy, t, T0)
    assert T0 + 5 * H == check_at(policy, t, T0 + 5 * H)  # the 50% notice is due
    t = record_fired(t, run(policy, t, T0 + 5 * H), at=T0 + 5 * H)
    assert T0 + 6 * H == check_at(policy, t, T0 + 5 * H)
    t = record_fired(t, run(policy, t, T0 + 9 * H), at=T0 + 9 * H)
    assert None is check_at(policy, t, T0 + 9 * H)


def test_next_check_at_is_never_late() -> None:
    """
    Watching only the breach, the next check may come early (at 50%) but never after it.
    """
    policy = SlaNotices({"resolution": {"100%": "assignee"}})
    t = assigned()
    now = T0
    checks = []
    while (at := check_at(policy, t, now)) is not None and at > now:
        checks.append(at - T0)
        now = at
    assert [4 * H, 6 * H, 8 * H] == checks
    assert ["INC-1|sla-notices|resolution|c1|100%"] == keys(run(policy, t, now))


def test_next_check_at_of_a_paused_clock_is_none() -> None:
    """
    A paused clock reaches no threshold: nothing is scheduled until the ticket changes.
    """
    t = INCIDENT.fire(assigned(), Trigger.REQUEST_INFO, actor=LEE, at=T0 + H)
    assert None is check_at(resolution_notices(), t, T0 + H)


# -- hierarchical notices ----------------------------------------------------------------


def test_a_p1_tells_the_supervisor_once() -> None:
    """
    A P1 ticket notifies its group's supervisor at once, and only once in a cycle.
    """
    policy = HierarchicalNotices(DIRECTORY)
    t = opened("P1", group="service-desk")
    [action] = run(policy, t, T0)
    assert isinstance(action, Notify)
    assert (("sam",), "priority-notice") == (action.recipients, action.template)
    assert "INC-1|hierarchical|priority|c1|P1" == action.dedup_key
    t = record_fired(t, [action], at=T0)
    assert [] == run(policy, t, T0 + M)
    # Still watched: the resolution breach, checked first when the clock passes 50% (4h P1).
    assert T0 + 2 * H == check_at(policy, t, T0 + M)


@pytest.mark.parametrize(
    ("priority", "priorities", "expected"),
    [
        ("P1", None, 1),
        ("P2", None, 0),
        ("P2", {"P1", "P2"}, 1),
        ("P3", ["P1", "P2"], 0),
        (None, None, 0),
    ],
)
def test_which_priorities_are_notified(
    priority: str | None, priorities: set[str] | None, expected: int
) -> None:
    """
    The priority notice goes for the configured priorities only (P1 by default).
    """
    options = {} if priorities is None else {"priorities": priorities}
    policy = HierarchicalNotices(DIRECTORY, thresholds={}, **options)  # type: ignore[arg-type]
    assert expected == len(run(policy, opened(priority, group="network"), T0))


def test_a_ticket_raised_to_p1_is_notified() -> None:
    """
    A ticket raised to P1 after opening notifies the supervisor and the assignee's manager.
    """
    policy = HierarchicalNotices(DIRECTORY, thresholds={})
    t = assigned("P3")
    assert [] == run(policy, t, T0 + H)
    t = override_priority(t, "P1", actor=LEE, at=T0 + H, reason="whole floor down")
    [action] = run(policy, t, T0 + H)
    assert isinstance(action, Notify)
    assert ("sam", "mia") == action.recipients


def test_a_resolved_or_reopened_p1() -> None:
    """
    A resolved P1 is not notified; reopened, it is notified again in its new cycle.
    """
    policy = HierarchicalNotices(DIRECTORY, thresholds={})
    t = INCIDENT.fire(assigned("P1"), Trigger.RESOLVE, actor=LEE, at=T0, resolution="fixed")
    assert [] == run(policy, t, T0)
    t = INCIDENT.fire(t, Trigger.REOPEN, actor=LEE, at=T0 + H)
    assert ["INC-1|hierarchical|priority|c2|P1"] == keys(run(policy, t, T0 + H))


def test_hierarchical_threshold_notices() -> None:
    """
    By default the supervisor hears of a resolution breach; other thresholds are configurable.
    """
    t = assigned("P3")
    assert ["INC-1|hierarchical|resolution|c1|100%"] == keys(
        run(HierarchicalNotices(DIRECTORY), t, T0 + 24 * H)
    )
    policy = HierarchicalNotices(DIRECTORY, thresholds={"first_response": {"75%": "manager"}})
    [action] = run(policy, t, T0 + 45 * M)
    assert isinstance(action, Notify)
    assert (("mia",), "escalation-notice") == (action.recipients, action.template)
    assert T0 + 24 * H == check_at(HierarchicalNotices(DIRECTORY), t, T0 + 23 * H)


# -- functional tiers --------------------------------------------------------------------


def tiers() -> FunctionalTiers:
    return FunctionalTiers(TIERS, {1: {"resolution": "75%"}, 2: {"resolution": "100%"}})


def test_functional_escalation_up_the_tiers() -> None:
    """
    Resolution 75% at tier 1 escalates to tier 2; the breach at tier 2 escalates to tier 3.
    """
    policy = tiers()
    t = assigned()
    assert [] == run(policy, t, T0 + 6 * H - M)
    assert T0 + 6 * H == check_at(policy, t, T0 + 5 * H)
    [action] = run(policy, t, T0 + 6 * H)
    assert (
        Fire(
            trigger="escalate",
            details={"tier": 2, "group": "network"},
            dedup_key="INC-1|functional-tiers|resolution|c1|75%@tier1",
            reason="resolution passed 75% at tier 1",
        )
        == action
    )
    assert isinstance(action, Fire)
    t = INCIDENT.fire(t, action.trigger, actor=LEE, at=T0 + 6 * H, **action.details)
    t = record_fired(t, [action], at=T0 + 6 * H)
    assert (2, "network") == (t.tier, t.group)
    assert [] == run(policy, t, T0 + 7 * H)
    [action] = run(policy, t, T0 + 8 * H)
    assert {"tier": 3, "group": "vendor"} == dict(action.details)  # type: ignore[union-attr]
    t = INCIDENT.fire(t, "escalate", actor=LEE, at=T0 + 8 * H, **action.details)  # type: ignore[union-attr]
    t = record_fired(t, [action], at=T0 + 8 * H)
    assert [] == run(policy, t, T0 + 30 * H)
    assert None is check_at(policy, t, T0 + 30 * H)


def test_a_threshold_passed_before_the_tier_does_not_escalate() -> None:
    """
    Only a threshold passed while the ticket sits at its tier moves it on.
    """
    policy = FunctionalTiers(TIERS, {1: {"resolution": "50%"}, 2: {"resolution": "50%"}})
    t = INCIDENT.fire(assigned(), "escalate", actor=LEE, at=T0 + 5 * H, tier=2, group="network")
    assert [] == run(policy, t, T0 + 7 * H)


def test_no_escalation_from_a_state_that_cannot_escalate() -> None:
    """
    A ticket still new cannot be escalated: nothing is returned and nothing is scheduled.
    """
    t = opened()
    assert [] == run(tiers(), t, T0 + 7 * H)
    assert None is check_at(tiers(), t, T0 + 7 * H)


def test_default_escalates_tier_one_at_75_percent() -> None:
    """
    By default the first tier escalates when resolution passes 75%.
    """
    [action] = run(FunctionalTiers(["service-desk", "network"]), assigned(), T0 + 6 * H)
    assert "INC-1|functional-tiers|resolution|c1|75%@tier1" == action.dedup_key


def test_escalate_details_for_a_manual_escalation() -> None:
    """
    The escalate details name the next tier and its group; at the top there is none.
    """
    policy = tiers()
    assert {"tier": 2, "group": "network"} == policy.escalate_details(assigned())
    t = INCIDENT.fire(
        assigned(), "escalate", actor=LEE, at=T0, **policy.escalate_details(assigned())
    )
    t = INCIDENT.fire(t, "escalate", actor=LEE, at=T0, **policy.escalate_details(t))
    assert 3 == t.tier
    with pytest.raises(InvalidTransition, match="tier 3 is the top tier") as info:
        policy.escalate_details(t)
    assert "escalate" == info.value.trigger


def test_return_to_first_line() -> None:
    """
    The return action sends the ticket back to tier 1's group; at tier 1 it is refused.
    """
    policy = tiers()
    t = INCIDENT.fire(assigned(), "escalate", actor=LEE, at=T0, tier=2, group="network")
    action = policy.return_to_first_line(t, reason="not a network fault")
    assert ("return_to_first_line", {"group": "service-desk"}) == (
        action.trigger,
        dict(action.details),
    )
    assert "not a network fault" == action.reason
    t = INCIDENT.fire(t, action.trigger, actor=LEE, at=T0 + H, **action.details)
    t = record_fired(t, [action], at=T0 + H)
    assert (1, "service-desk") == (t.tier, t.group)
    with pytest.raises(InvalidTransition, match="first line"):
        policy.return_to_first_line(t)


# -- the composite -----------------------------------------------------------------------


def test_composite_merges_actions_and_checks() -> None:
    """
    The composite returns every policy's actions in order, a shared key once, and the soonest check.
    """
    first = resolution_notices()
    again = resolution_notices()  # the same name: the same keys
    composite = CompositePolicy([HierarchicalNotices(DIRECTORY, thresholds={}), first, again])
    t = assigned("P1")
    assert [
        "INC-1|hierarchical|priority|c1|P1",
        "INC-1|sla-notices|resolution|c1|50%",
    ] == keys(run(composite, t, T0 + 2 * H))
    t = record_fired(t, run(composite, t, T0 + 2 * H), at=T0 + 2 * H)
    assert T0 + 3 * H == check_at(composite, t, T0 + 2 * H)


def test_composite_next_check_is_none_when_all_are() -> None:
    """
    With nothing scheduled by any policy the composite schedules nothing.
    """
    composite = CompositePolicy([tiers(), HierarchicalNotices(DIRECTORY, thresholds={})])
    assert None is check_at(composite, opened(), T0)


def test_a_custom_policy_in_a_composite() -> None:
    """
    Any object with evaluate and next_check_at joins a composite.
    """

    class Vip:
        def evaluate(self, ticket: Ticket, sla: object, now: datetime) -> list[EscalationAction]:
            key = action_key(ticket.id, "vip", "priority", 1, "P2")
            return [RaisePriority(priority="P2", dedup_key=key, reason="VIP")]

        def next_check_at(self, ticket: Ticket, sla: object, now: datetime) -> datetime | None:
            return now + H

    composite = CompositePolicy([Vip(), tiers()])
    assert ["INC-1|vip|priority|c1|P2"] == keys(run(composite, assigned(), T0))
    assert T0 + H == check_at(composite, assigned(), T0)


def test_a_composite_refuses_what_is_not_an_action() -> None:
    """
    A custom policy returning something other than actions is named in an InvalidInput.
    """

    class Sloppy:
        def evaluate(self, ticket: Ticket, sla: object, now: datetime) -> list[object]:
            return ["page kim"]

        def next_check_at(self, ticket: Ticket, sla: object, now: datetime) -> datetime | None:
            return None

    with pytest.raises(InvalidInput, match="returned 'page kim', which is not an escalation"):
        run(CompositePolicy([Sloppy()]), assigned(), T0)


# -- plug-ins ----------------------------------------------------------------------------


def test_builtins_are_registered() -> None:
    """
    Every built-in escalation policy is found by name.
    """
    assert ("composite", "functional_tiers", "hierarchical", "ladder", "sla_notices") == tuple(
        n
        for n in plugins.policy_names("deskflow.escalation")
        if n in {"composite", "functional_tiers", "hierarchical", "ladder", "sla_notices"}
    )
    assert SlaNotices() == plugins.load_policy("deskflow.escalation", "sla_notices")
    assert tiers() == plugins.load_policy(
        "deskflow.escalation",
        "functional_tiers",
        tiers={"1": "service-desk", "2": "network", "3": "vendor"},
        escalate_on={"1": {"resolution": "75%"}, "2": {"resolution": "100%"}},
    )
    ladder = plugins.load_policy(
        "deskflow.escalation", "ladder", levels=[{"targets": ["kim"], "delay": 5}], loops=1
    )
    assert isinstance(ladder, LadderPolicy)
    assert 2 == len(ladder.versions[0].ladder.steps)


def test_composite_from_configuration() -> None:
    """
    A configured composite names its parts with their options.
    """
    composite = plugins.load_policy(
        "deskflow.escalation",
        "composite",
        policies=[
            {"policy": "sla_notices", "rules": {"resolution": {"50%": "assignee"}}},
            {"policy": "hierarchical"},
            tiers(),
        ],
    )
    assert isinstance(composite, CompositePolicy)
    names = [getattr(p, "name", None) for p in composite.policies]
    assert ["sla-notices", "hierarchical", "functional-tiers"] == names
    with pytest.raises(ConfigError, match=r"deskflow\.escalation\.composite: could not be built"):
        plugins.load_policy("deskflow.escalation", "composite", policies=[{"policy": "nope"}])


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "options", "message"),
    [
        (
            SlaNotices,
            {"rules": {"speed": {"50%": "assignee"}}},
            r"^rules\.speed: metric must be one",
        ),
        (SlaNotices, {"rules": ["resolution"]}, r"^rules: expected \{metric"),
        (SlaNotices, {"rules": {"resolution": ["50%"]}}, r"^rules\.resolution: expected \{thresh"),
        (
            SlaNotices,
            {"rules": {"resolution": {"seventy": "assignee"}}},
            r"^rules\.resolution\.seventy: unknown threshold 'seventy'; give a percentage",
        ),
        (
            SlaNotices,
            {"rules": {"resolution": {"0%": "assignee"}}},
            r"^rules\.resolution\.0%: .*percentage must be in",
        ),
        (SlaNotices, {"rules": {"resolution": {True: "assignee"}}}, r"unknown threshold True"),
        (
            SlaNotices,
            {"rules": {"resolution": {timedelta(minutes=-5): "assignee"}}},
            r"must not be negative",
        ),
        (
            SlaNotices,
            {"rules": {"resolution": {"75%": "boss"}}},
            r"^rules\.resolution\.75%: unknown recipient 'boss'",
        ),
        (SlaNotices, {"rules": {"resolution": {"75%": []}}}, r"expected recipient tokens"),
        (SlaNotices, {"rules": {"resolution": {"75%": "agent:"}}}, r"unknown recipient 'agent:'"),
        (
            SlaNotices,
            {"rules": {"resolution": {"75%": "assignee", 75: "manager"}}},
            r"threshold 75% is given twice",
        ),
        (SlaNotices, {"directory": {"lee": "mia"}}, r"^directory: directory must have manager_of"),
        (SlaNotices, {"name": ""}, r"^name: name must not be empty"),
        (HierarchicalNotices, {"priorities": {"P9"}}, r"^priorities: priority must be one of"),
        (HierarchicalNotices, {"priorities": 5}, r"^priorities: expected priorities"),
        (HierarchicalNotices, {"on_priority": ["ceo"]}, r"^on_priority: unknown recipient"),
        (
            HierarchicalNotices,
            {"thresholds": {"resolution": {"half": "supervisor"}}},
            r"^thresholds\.resolution\.half: unknown threshold",
        ),
        (
            FunctionalTiers,
            {"tiers": {1: "a", 3: "b", 2: "c"}},
            r"^tiers\.2: tiers must be ints inc",
        ),
        (FunctionalTiers, {"tiers": {1: "a", 1.5: "b"}}, r"^tiers\.1\.5: a tier is an int"),
        (FunctionalTiers, {"tiers": {2: "a", 3: "b"}}, r"^tiers: the tiers must start with the"),
        (FunctionalTiers, {"tiers": {}}, r"^tiers: expected \{tier: group\}"),
        (FunctionalTiers, {"tiers": "L1"}, r"^tiers: expected \{tier: group\}"),
        (FunctionalTiers, {"tiers": {1: "a", 2: ""}}, r"^tiers\.2: a tier needs a group name"),
        (
            FunctionalTiers,
            {"tiers": TIERS, "escalate_on": {3: {"resolution": "75%"}}},
            r"^escalate_on\.3: tier 3 is not a tier below the top one \(3\)",
        ),
        (
            FunctionalTiers,
            {"tiers": TIERS, "escalate_on": {4: {"resolution": "75%"}}},
            r"^escalate_on\.4: tier 4 is not a tier below",
        ),
        (
            FunctionalTiers,
            {"tiers": TIERS, "escalate_on": {1: {}}},
            r"^escalate_on\.1: expected \{metric: threshold\}",
        ),
        (
            FunctionalTiers,
            {"tiers": TIERS, "escalate_on": {1: {"speed": "75%"}}},
            r"^escalate_on\.1\.speed: metric must be one of",
        ),
        (
            FunctionalTiers,
            {"tiers": TIERS, "escalate_on": {1: {"resolution": "soon"}}},
            r"^escalate_on\.1\.resolution: unknown threshold",
        ),
        (FunctionalTiers, {"tiers": TIERS, "escalate_on": [1]}, r"^escalate_on: expected"),
        (FunctionalTiers, {"tiers": TIERS, "name": " "}, r"^name: name must not be empty"),
        (CompositePolicy, {"policies": []}, r"^policies: a composite needs at least one policy"),
        (CompositePolicy, {"policies": 3}, r"^policies: expected a list of policies"),
        (
            CompositePolicy,
            {"policies": [SlaNotices(), "ladder"]},
            r"^policies\.1: 'ladder' is not an escalation policy",
        ),
    ],
)
def test_bad_configuration_is_a_config_error(
    build: Callable[..., object], options: dict[str, object], message: str
) -> None:
    """
    Every bad configuration is a ConfigError saying what is wrong and where.
    """
    with pytest.raises(ConfigError, match=message):
        build(**options)


OTHER = INCIDENT.open("INC-2", title="Printer jam", requester="bob", at=T0)
POLICIES: list[EscalationPolicy] = [
    SlaNotices(),
    HierarchicalNotices(),
    tiers(),
    CompositePolicy([SlaNotices()]),
]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (lambda t, r: (t, r, datetime(2026, 3, 2, 10)), "now must be timezone-aware"),
        (lambda t, r: (t, r, "2026-03-02"), "now must be a timezone-aware datetime"),
        (lambda t, r: (t, r, T0 - H), "precedes the ticket's last change"),
        (lambda t, r: ("INC-1", r, T0), "ticket must be a Ticket"),
        (lambda t, r: (t, {}, T0), "sla must be an SlaReport"),
        (lambda t, r: (t, SLA.evaluate(OTHER, T0), T0), "the SLA report is for ticket INC-2"),
    ],
)
def test_bad_evaluation_arguments_are_invalid_input(
    policy: EscalationPolicy,
    args: Callable[[Ticket, object], tuple[object, object, object]],
    message: str,
) -> None:
    """
    evaluate and next_check_at refuse naive or early instants and mismatched arguments.
    """
    t = assigned()
    ticket, report, now = args(t, SLA.evaluate(t, T0))
    for method in (policy.evaluate, policy.next_check_at):
        with pytest.raises(InvalidInput, match=message):
            method(ticket, report, now)  # type: ignore[arg-type]
