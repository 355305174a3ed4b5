"""
Routing: candidates, filters, round-robin and capacity rankers, the router with its
fallback, skills routing, rule tables and the pull queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from builders import LEE, T0, incident
from deskflow.enums import Priority, Trigger
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.policies.queues import RoutingRule, RuleTable, next_ticket
from deskflow.policies.routers import (
    Available,
    HasCapacity,
    HasSkills,
    InGroup,
    LeastLoaded,
    LongestIdle,
    Router,
    SkillsBased,
)
from deskflow.routing import AgentStatus, Candidate, Cursor, RoutingDecision
from deskflow.workflows import INCIDENT


def agent(agent_id: str, **fields: object) -> Candidate:
    fields.setdefault("capacity", 5)
    return Candidate(agent_id, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"capacity": -1}, r"capacity: must be an int >= 0, got -1"),
        ({"capacity": 1.5}, r"capacity: must be an int >= 0"),
        ({"load": -2}, r"load: must be an int >= 0, got -2"),
        ({"skills": {"network": -1}}, r"skills\.network: must be an int >= 0"),
        ({"skills": ["network"]}, r"expected a mapping of skill -> level"),
        ({"groups": [1]}, r"group must be a string"),
        ({"status": "asleep"}, r"status must be one of"),
        ({"last_assigned_at": datetime(2026, 3, 2, 9)}, r"timezone-aware"),
    ],
)
def test_bad_candidates_are_config_errors(fields: dict[str, object], message: str) -> None:
    """
    Negative capacity or load, bad skills, groups, status or a naive time are ConfigErrors.
    """
    with pytest.raises(ConfigError, match=message):
        agent("ann", **fields)


def test_candidate_needs_an_id() -> None:
    """
    A blank agent id is a ConfigError.
    """
    with pytest.raises(ConfigError, match="agent id must not be empty"):
        Candidate(" ")


def test_candidate_single_group_string() -> None:
    """
    A lone group name is one group, not its characters.
    """
    assert frozenset({"network"}) == Candidate("ann", groups="network").groups


def test_filters_admit_what_they_say() -> None:
    """
    Each filter keeps exactly the candidates it names.
    """
    t = incident(group="network")
    ann = agent("ann", groups={"network"}, skills={"vpn": 3}, capacity=2, load=1)
    bob = agent("bob", status=AgentStatus.AWAY, capacity=2, load=2)
    assert (True, False) == (Available().admits(t, ann), Available().admits(t, bob))
    assert (True, False) == (InGroup().admits(t, ann), InGroup().admits(t, bob))
    assert (False, True) == (InGroup("desk").admits(t, ann), InGroup().admits(incident(), bob))
    assert (True, False) == (HasCapacity().admits(t, ann), HasCapacity().admits(t, bob))
    assert (True, False) == (
        HasSkills({"vpn": 3}).admits(t, ann),
        HasSkills({"vpn": 4}).admits(t, ann),
    )


def test_has_skills_rejects_negative_levels() -> None:
    """
    A negative required level is a ConfigError.
    """
    with pytest.raises(ConfigError, match=r"skills\.vpn: must be an int >= 0"):
        HasSkills({"vpn": -1})


def test_longest_idle_prefers_never_assigned_then_oldest_then_id() -> None:
    """
    Round-robin picks never-assigned agents first (by id), then the longest idle.
    """
    roster = [
        agent("cat", last_assigned_at=T0 - timedelta(hours=1)),
        agent("bob"),
        agent("ann", last_assigned_at=T0 - timedelta(hours=2)),
        agent("abe"),
    ]
    decision = LongestIdle().select(incident(), roster, T0)
    assert ("abe", Cursor("abe", T0)) == (decision.agent, decision.cursor)
    rest = roster[:3]
    assert "bob" == LongestIdle().select(incident(), rest, T0).agent
    assert "ann" == LongestIdle().select(incident(), [roster[0], roster[2]], T0).agent


def test_round_robin_rotates_within_one_clock_tick() -> None:
    """
    Feeding cursors back rotates agents even when the clock has not moved.
    """
    roster = {name: agent(name) for name in ("ann", "bob", "cat")}
    chosen = []
    for _ in range(6):
        decision = LongestIdle().select(incident(), list(roster.values()), T0)
        assert decision.cursor is not None
        chosen.append(decision.agent)
        roster[decision.cursor.agent] = agent(
            decision.cursor.agent, last_assigned_at=decision.cursor.at
        )
    assert ["ann", "bob", "cat", "ann", "bob", "cat"] == chosen


def test_least_loaded_absolute_and_percentage() -> None:
    """
    Absolute mode takes the most spare capacity; percentage mode the lowest share taken.
    """
    roster = [agent("big", capacity=10, load=6), agent("small", capacity=2, load=0)]
    assert "big" == LeastLoaded().select(incident(), roster, T0).agent
    assert "small" == LeastLoaded("percentage").select(incident(), roster, T0).agent


def test_least_loaded_never_picks_a_full_agent_over_one_with_room() -> None:
    """
    An agent at capacity (even capacity 0) ranks after any agent with room.
    """
    roster = [
        agent("zero", capacity=0),
        agent("full", capacity=1, load=1),
        agent("room", capacity=9, load=8),
    ]
    assert "room" == LeastLoaded("percentage").select(incident(), roster, T0).agent
    assert "room" == LeastLoaded().select(incident(), roster, T0).agent


def test_least_loaded_rejects_unknown_mode() -> None:
    """
    Only "absolute" and "percentage" are modes.
    """
    with pytest.raises(ConfigError, match="mode must be 'absolute' or 'percentage'"):
        LeastLoaded("relative")


def test_rankers_with_no_candidates_route_nobody() -> None:
    """
    With nobody to choose from the decision is empty and says so.
    """
    assert RoutingDecision(reason="no candidates") == LongestIdle().select(incident(), [], T0)
    assert not LeastLoaded().select(incident(), [], T0).routed


def test_router_filters_then_ranks() -> None:
    """
    Only candidates passing every filter are ranked; the reason shows the filter trail.
    """
    roster = [
        agent("away", status="away", groups={"network"}),
        agent("other", groups={"desk"}),
        agent("full", groups={"network"}, capacity=1, load=1),
        agent("ok", groups={"network"}),
    ]
    router = Router([Available(), InGroup("network"), HasCapacity()])
    decision = router.select(incident(), roster, T0)
    assert "ok" == decision.agent
    assert "4 candidates, Available() left 3" in decision.reason


def test_router_falls_back() -> None:
    """
    When nobody passes the filters the fallback decides over the whole roster.
    """
    router = Router([InGroup("nobody")], LongestIdle(), fallback=LeastLoaded())
    decision = router.select(incident(), [agent("ann", load=4), agent("bob", load=1)], T0)
    assert "bob" == decision.agent
    assert decision.reason.startswith("fallback: ")


def test_router_without_fallback_routes_nobody() -> None:
    """
    Without a fallback an empty filter result is an empty decision saying why.
    """
    decision = Router([InGroup("nobody")]).select(incident(), [agent("ann")], T0)
    assert (None, None) == (decision.agent, decision.group)
    assert "no candidate passed the filters" in decision.reason


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filters": ["available"]}, "a filter needs admits"),
        ({"filters": Available()}, "filters: expected a list"),
        ({"filters": [], "ranker": "round_robin"}, "ranker must be a routing policy"),
        ({"filters": [], "fallback": 3}, "fallback must be a routing policy"),
    ],
)
def test_bad_router_config(kwargs: dict[str, object], message: str) -> None:
    """
    Filters, ranker and fallback must be the right kind of object.
    """
    with pytest.raises(ConfigError, match=message):
        Router(**kwargs)  # type: ignore[arg-type]


def test_select_rejects_bad_arguments() -> None:
    """
    A naive now, non-candidates and repeated ids are InvalidInput.
    """
    with pytest.raises(InvalidInput, match="timezone-aware"):
        LongestIdle().select(incident(), [], datetime(2026, 3, 2))
    with pytest.raises(InvalidInput, match="candidates must be Candidate objects"):
        LongestIdle().select(incident(), ["ann"], T0)  # type: ignore[list-item]
    with pytest.raises(InvalidInput, match="candidate ids repeat"):
        LongestIdle().select(incident(), [agent("ann"), agent("ann")], T0)
    with pytest.raises(InvalidInput, match="ticket must be a Ticket"):
        LongestIdle().select("T-1", [], T0)  # type: ignore[arg-type]


def test_skills_based_takes_qualified_least_loaded() -> None:
    """
    Skills routing keeps available agents with room and the levels, least loaded first.
    """
    roster = [
        agent("novice", skills={"network": 1}),
        agent("busy", skills={"network": 5}, load=4),
        agent("expert", skills={"network": 4}, load=1),
    ]
    assert "expert" == SkillsBased({"network": 3}).select(incident(), roster, T0).agent


def test_skills_based_fallback() -> None:
    """
    When nobody has the skills the fallback decides.
    """
    policy = SkillsBased({"mainframe": 5}, fallback=LongestIdle())
    assert "ann" == policy.select(incident(), [agent("ann")], T0).agent


def test_rule_table_lowest_order_wins() -> None:
    """
    The matching rule with the lowest order decides and is named.
    """
    table = RuleTable(
        [
            {"order": 99, "group": "service-desk"},
            RoutingRule(order=20, category="network", group="netops"),
            RoutingRule(order=10, category="network", service="vpn", group="vpn-team"),
        ]
    )
    vpn = table.select(incident(category="network", service="vpn"), [], T0)
    assert ("vpn-team", "rule 10") == (vpn.group, vpn.rule)
    assert "netops" == table.select(incident(category="network"), [], T0).group
    assert "service-desk" == table.select(incident(category="email"), [], T0).group


def test_rule_table_without_a_match() -> None:
    """
    No matching rule is an empty decision saying what was looked for.
    """
    table = RuleTable([RoutingRule(order=1, category="network", group="netops")])
    decision = table.select(incident(category="email"), [], T0)
    assert (None, "no rule matches category=email, service=None") == (
        decision.group,
        decision.reason,
    )


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([], "needs at least one rule"),
        ({"order": 1, "group": "a"}, "rules: expected a list"),
        ([{"order": 1, "group": "a"}, {"order": 1, "group": "b"}], "share order 1"),
        ([{"order": "1", "group": "a"}], "a rule's order must be an int"),
        ([{"order": 1}], "bad rule"),
        ([{"order": 1, "group": "a", "queue": "x"}], "bad rule"),
        ([{"order": 1, "group": ""}], "must be a group name"),
        ([{"order": 1, "group": "a", "category": 5}], "must be a non-empty string or None"),
        (["netops"], "expected a RoutingRule or a mapping"),
    ],
)
def test_bad_rule_tables(rules: list[object], message: str) -> None:
    """
    Empty tables, shared orders and malformed rules are ConfigErrors.
    """
    with pytest.raises(ConfigError, match=message):
        RuleTable(rules)


def test_next_ticket_priority_then_oldest() -> None:
    """
    The pull queue gives the most urgent ticket, then the one waiting longest.
    """
    tickets = [
        incident("T-1", at=T0, priority="P3"),
        incident("T-2", at=T0 + timedelta(minutes=5), priority="P1"),
        incident("T-3", at=T0 + timedelta(minutes=1), priority="P1"),
        incident("T-4", at=T0 - timedelta(hours=1)),
    ]
    me = agent("ann")
    assert "T-3" == next_ticket(me, tickets, T0).id  # type: ignore[union-attr]
    assert "T-4" == next_ticket(me, tickets[3:], T0).id  # type: ignore[union-attr]


def test_next_ticket_only_own_groups_and_open_tickets() -> None:
    """
    Tickets of other groups, owned by other agents or closed are never offered.
    """
    other_group = incident("T-1", priority="P1", group="hr")
    owned = INCIDENT.fire(
        incident("T-2", priority="P1"), Trigger.ASSIGN, actor=LEE, at=T0, assignee="bob"
    )
    cancelled = INCIDENT.fire(
        incident("T-3", priority="P1"), Trigger.CANCEL, actor=LEE, at=T0, reason="dup"
    )
    mine = incident("T-4", priority="P5", group="network")
    me = agent("ann", groups={"network"})
    assert mine == next_ticket(me, [other_group, owned, cancelled, mine], T0)
    assert next_ticket(me, [other_group, owned, cancelled], T0) is None


def test_next_ticket_skip_needs_a_reason() -> None:
    """
    A ticket is skipped only with a non-empty reason.
    """
    tickets = [incident("T-1", priority="P1"), incident("T-2", priority="P2")]
    me = agent("ann")
    assert "T-2" == next_ticket(me, tickets, T0, skip={"T-1": "needs a Mac expert"}).id  # type: ignore[union-attr]
    with pytest.raises(InvalidInput, match="skipping ticket 'T-1' needs a reason"):
        next_ticket(me, tickets, T0, skip={"T-1": " "})


def test_next_ticket_rejects_bad_arguments() -> None:
    """
    A non-candidate agent, a naive now or non-tickets are InvalidInput.
    """
    with pytest.raises(InvalidInput, match="agent must be a Candidate"):
        next_ticket("ann", [], T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="timezone-aware"):
        next_ticket(agent("ann"), [], datetime(2026, 3, 2))
    with pytest.raises(InvalidInput, match="tickets must be Ticket objects"):
        next_ticket(agent("ann"), ["T-1"], T0)  # type: ignore[list-item]


def test_next_ticket_puts_unprioritized_after_p5() -> None:
    """
    A ticket without priority comes after a P5.
    """
    tickets = [incident("T-1", at=T0 - timedelta(days=1)), incident("T-2", priority=Priority.P5)]
    assert "T-2" == next_ticket(agent("ann"), tickets, T0).id  # type: ignore[union-attr]
