"""
Priority policies: the ITIL and 5x5 matrices, custom matrices from configuration, weighted
scores, per-service policies, the VIP floor, rule chains and the recorded priority changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from builders import LEE, T0
from deskflow import Impact, Priority, PriorityMatrix, Urgency
from deskflow.events import PriorityChanged
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.policies.priority_rules import (
    PerService,
    Rule,
    RuleChain,
    ScoreBand,
    VipFloor,
    WeightedScore,
    override_priority,
    reprioritize,
)
from deskflow.priority import FIVE_LEVELS, PriorityDecision, PriorityFacts
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

ITIL = PriorityMatrix.itil()
WEIGHTS = {"high": 3, "medium": 2, "low": 1}

ITIL_TABLE = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P5"},
}


def ticket(impact: str | None = "medium", urgency: str | None = "medium") -> Ticket:
    return INCIDENT.open(
        "T-1", title="VPN down", requester="ann", at=T0, impact=impact, urgency=urgency
    )


def facts(impact: str = "medium", urgency: str = "medium", **more: object) -> PriorityFacts:
    return PriorityFacts(impact, urgency, **more)  # type: ignore[arg-type]


def with_cell(impact: str, urgency: str, value: str) -> dict[str, dict[str, str]]:
    table = {i: dict(row) for i, row in ITIL_TABLE.items()}
    table[impact][urgency] = value
    return table


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        (Impact.HIGH, Urgency.HIGH, Priority.P1),
        (Impact.HIGH, Urgency.MEDIUM, Priority.P2),
        (Impact.MEDIUM, Urgency.HIGH, Priority.P2),
        (Impact.HIGH, Urgency.LOW, Priority.P3),
        (Impact.MEDIUM, Urgency.MEDIUM, Priority.P3),
        (Impact.LOW, Urgency.HIGH, Priority.P3),
        (Impact.MEDIUM, Urgency.LOW, Priority.P4),
        (Impact.LOW, Urgency.MEDIUM, Priority.P4),
        (Impact.LOW, Urgency.LOW, Priority.P5),
    ],
)
def test_itil_matrix_matches_servicenow(
    impact: Impact, urgency: Urgency, expected: Priority
) -> None:
    """
    Each of the nine ITIL cells gives the priority ServiceNow ships.
    """
    assert expected == ITIL.priority(impact, urgency)
    assert expected == ITIL.prioritize(PriorityFacts(impact, urgency)).priority


def test_itil_decision_names_the_rule_and_explains() -> None:
    """
    The decision names the matrix and says which cell decided.
    """
    decision = ITIL.prioritize(facts("high", "medium"))
    expected = PriorityDecision(
        Priority.P2, "itil", "impact high and urgency medium give P2 in the itil matrix"
    )
    assert expected == decision


def test_five_by_five_corners_and_diagonal() -> None:
    """
    The 5x5 matrix runs from P1 (very_high/very_high) to P5 (very_low/very_low).
    """
    matrix = PriorityMatrix.five_by_five()
    diagonal = [matrix.priority(level, level) for level in FIVE_LEVELS]
    expected = [Priority.P1, Priority.P2, Priority.P3, Priority.P4, Priority.P5]
    assert expected == diagonal


def test_five_by_five_is_monotone_and_total() -> None:
    """
    Every cell of the 5x5 matrix is set, and moving to a less severe level never raises it.
    """
    matrix = PriorityMatrix.five_by_five()
    for i, impact in enumerate(FIVE_LEVELS):
        for u, urgency in enumerate(FIVE_LEVELS):
            here = matrix.priority(impact, urgency)
            if i + 1 < 5:
                assert here >= matrix.priority(FIVE_LEVELS[i + 1], urgency)
            if u + 1 < 5:
                assert here >= matrix.priority(impact, FIVE_LEVELS[u + 1])


def test_from_mapping_rebuilds_itil() -> None:
    """
    The ITIL matrix written as configuration equals the built-in one (apart from its name).
    """
    assert ITIL.cells == PriorityMatrix.from_mapping(ITIL_TABLE).cells


def test_from_mapping_accepts_rows_and_enum_members() -> None:
    """
    A list of rows with enum members and lower-case priorities is accepted.
    """
    rows = [
        {"impact": Impact(i), "urgency": Urgency(u), "priority": p.lower()}
        for i, row in ITIL_TABLE.items()
        for u, p in row.items()
    ]
    assert ITIL.cells == PriorityMatrix.from_mapping(rows).cells


def test_from_mapping_with_explicit_levels() -> None:
    """
    A matrix on the host's own two-level scale works with its own level names.
    """
    matrix = PriorityMatrix.from_mapping(
        {"major": {"major": "P1", "minor": "P2"}, "minor": {"major": "P3", "minor": "P4"}},
        levels=["major", "minor"],
        name="two",
    )
    assert Priority.P3 == matrix.priority("minor", "major")


def test_incomplete_matrix_lists_missing_cells() -> None:
    """
    A matrix without every cell is a ConfigError listing the missing cells.
    """
    table = with_cell("low", "low", "P5")
    del table["low"]["low"]
    with pytest.raises(ConfigError, match=r"missing cells: \(impact=low, urgency=low\)"):
        PriorityMatrix.from_mapping(table)


def test_non_monotone_matrix_names_the_cells() -> None:
    """
    A cell less urgent than a less severe neighbour is a ConfigError naming both cells.
    """
    with pytest.raises(ConfigError) as caught:
        PriorityMatrix.from_mapping(with_cell("medium", "high", "P4"))
    assert (
        "cell (impact=medium, urgency=high)=P4 is lower than (impact=low, urgency=high)=P3"
        in str(caught.value)
    )
    assert ("custom", "medium", "high") == caught.value.path


def test_unknown_level_is_named() -> None:
    """
    A level outside the scale is a ConfigError naming it and the known levels.
    """
    table = with_cell("high", "high", "P1")
    table["high"]["urgent"] = "P1"
    with pytest.raises(ConfigError, match="unknown urgency level 'urgent'; known: very_high"):
        PriorityMatrix.from_mapping(table)


def test_level_outside_explicit_levels_is_rejected() -> None:
    """
    With explicit levels, a name not among them is a ConfigError.
    """
    with pytest.raises(ConfigError, match="unknown impact level 'high'; known: major"):
        PriorityMatrix.from_mapping({"high": {"major": "P1"}}, levels=["major"])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (42, "expected {impact: {urgency: priority}}"),
        ("high", "expected {impact: {urgency: priority}}"),
        ({"high": "P1"}, "expected urgency -> priority"),
        ({1: {2: "P1"}}, "levels must be names"),
        ([{"impact": "high"}], "expected impact, urgency, priority"),
        ([42], "expected impact, urgency, priority"),
        (with_cell("high", "high", "P0"), "expected a priority P1..P5, got 'P0'"),
        (with_cell("high", "high", 1), "expected a priority P1..P5, got 1"),  # type: ignore[arg-type]
        (with_cell("high", "high", None), "expected a priority P1..P5, got None"),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_are_config_errors(spec: object, message: str) -> None:
    """
    Wrong shapes and types in a matrix are ConfigErrors, never TypeError or KeyError.
    """
    with pytest.raises(ConfigError) as caught:
        PriorityMatrix.from_mapping(spec)
    assert message in str(caught.value)


def test_duplicate_row_is_rejected() -> None:
    """
    A cell given twice in the row form is a ConfigError.
    """
    row = {"impact": "high", "urgency": "high", "priority": "P1"}
    with pytest.raises(ConfigError, match="given twice"):
        PriorityMatrix.from_mapping([row, row])


def test_bad_levels_argument_is_rejected() -> None:
    """
    ``levels`` must be a list of names, not a string.
    """
    with pytest.raises(ConfigError, match="levels must be a list of level names"):
        PriorityMatrix.from_mapping(ITIL_TABLE, levels="high")


def test_direct_matrix_with_wrong_shape_is_rejected() -> None:
    """
    A matrix built directly must be square.
    """
    with pytest.raises(ConfigError, match="cells must be 2 rows of 2 priorities"):
        PriorityMatrix(("a", "b"), [[Priority.P1]])


def test_direct_matrix_converts_and_checks_cells() -> None:
    """
    A matrix built directly takes priority strings and rejects non-iterables as ConfigErrors.
    """
    # The cells converter is typed Iterable[Iterable[Priority]] but takes strings at run time.
    assert Priority.P2 == PriorityMatrix(("a",), [["p2"]]).priority("a", "a")
    with pytest.raises(ConfigError, match="cells must be rows of priorities"):
        PriorityMatrix(("a",), 5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="levels must be a list of level names"):
        PriorityMatrix("ab", [[Priority.P1]])
    with pytest.raises(ConfigError, match="levels must be distinct names"):
        PriorityMatrix(("a", "a"), [[Priority.P1] * 2] * 2)


def test_unknown_level_when_prioritizing_is_invalid_input() -> None:
    """
    Facts with a level the matrix lacks are an InvalidInput naming the matrix's levels.
    """
    with pytest.raises(InvalidInput, match="'very_high' is not a level of the itil matrix"):
        ITIL.prioritize(facts("very_high", "low"))


def test_facts_reject_non_level_values() -> None:
    """
    Impact and urgency must be level names; vip must be a bool.
    """
    with pytest.raises(InvalidInput, match="level names"):
        PriorityFacts(3, "low")
    with pytest.raises(InvalidInput, match="vip must be a bool"):
        PriorityFacts("low", "low", vip="yes")


def test_facts_of_ticket() -> None:
    """
    The facts of a ticket carry its classification and requester.
    """
    expected = PriorityFacts("high", "low", None, None, "ann", vip=True)
    assert expected == PriorityFacts.of(ticket("high", "low"), vip=True)


def test_facts_of_unclassified_ticket_is_an_error() -> None:
    """
    A ticket without impact or urgency cannot be prioritized.
    """
    with pytest.raises(InvalidInput, match="classify it first"):
        PriorityFacts.of(ticket(None, None))


def test_weighted_score_picks_the_band() -> None:
    """
    The weights add up to a score and the band holding it gives the priority.
    """
    policy = WeightedScore(WEIGHTS, WEIGHTS, [(5, 6, "P1"), (4, 4, "P3"), (2, 3, "P5")])
    decision = policy.prioritize(facts("high", "low"))
    assert Priority.P3 == decision.priority
    assert "score 4 (impact high=3 + urgency low=1) is in band 4..4 -> P3" == decision.explanation


def test_weighted_score_accepts_score_bands() -> None:
    """
    ScoreBand objects work as well as tuples.
    """
    policy = WeightedScore(WEIGHTS, WEIGHTS, [ScoreBand(2, 6, Priority.P3)])
    assert Priority.P3 == policy.prioritize(facts()).priority


def test_overlapping_score_bands_are_rejected() -> None:
    """
    Two bands sharing a score are a ConfigError naming both.
    """
    with pytest.raises(ConfigError, match=r"score band 4..6 -> P1 overlaps 2..4 -> P3"):
        WeightedScore(WEIGHTS, WEIGHTS, [(2, 4, "P3"), (4, 6, "P1")])


def test_uncovered_score_is_rejected() -> None:
    """
    A reachable score in no band is a ConfigError naming the cell.
    """
    with pytest.raises(ConfigError, match=r"score 4 of \(impact=high, urgency=low\) is in no"):
        WeightedScore(WEIGHTS, WEIGHTS, [(2, 3, "P4"), (5, 6, "P1")])


def test_inverted_score_bands_are_rejected() -> None:
    """
    A higher score band with a less urgent priority is a ConfigError.
    """
    with pytest.raises(ConfigError, match="a higher score must never give a lower priority"):
        WeightedScore(WEIGHTS, WEIGHTS, [(2, 3, "P1"), (4, 6, "P3")])


@pytest.mark.parametrize(
    ("impact_weights", "bands", "message"),
    [
        ({}, [(2, 6, "P3")], "expected a mapping of level -> weight"),
        ({"high": "3"}, [(2, 6, "P3")], "scores and weights must be ints"),
        (WEIGHTS, [(6, 2, "P3")], "runs backwards"),
        (WEIGHTS, [(2, 6, "P9")], "expected a priority P1..P5"),
        (WEIGHTS, ["P3"], "expected a ScoreBand or"),
        (WEIGHTS, 5, "bands: expected a list, got 5"),
    ],
)
def test_bad_weighted_score_config(impact_weights: object, bands: object, message: str) -> None:
    """
    Bad weights and bands are ConfigErrors.
    """
    with pytest.raises(ConfigError, match=message):
        WeightedScore(impact_weights, WEIGHTS, bands)  # type: ignore[arg-type]


def test_weighted_score_unknown_level() -> None:
    """
    Facts with a level without weight are InvalidInput.
    """
    policy = WeightedScore(WEIGHTS, WEIGHTS, [(2, 6, "P3")])
    with pytest.raises(InvalidInput, match="'very_low' has no weight"):
        policy.prioritize(facts("very_low", "low"))


def test_per_service_uses_the_service_policy_or_the_default() -> None:
    """
    A service with its own policy uses it; every other service uses the default.
    """
    always_p1 = WeightedScore(WEIGHTS, WEIGHTS, [(2, 6, "P1")], name="always_p1")
    policy = PerService({"payroll": always_p1}, ITIL)
    assert ("payroll/always_p1", Priority.P1) == (
        policy.prioritize(facts("low", "low", service="payroll")).rule,
        policy.prioritize(facts("low", "low", service="payroll")).priority,
    )
    assert ITIL.prioritize(facts("low", "low")) == policy.prioritize(
        facts("low", "low", service="email")
    )


def test_per_service_rejects_non_policies() -> None:
    """
    Every service's policy and the default must have prioritize().
    """
    with pytest.raises(ConfigError, match=r"services\.payroll: expected a priority policy"):
        PerService({"payroll": "itil"}, ITIL)  # type: ignore[dict-item]


def test_vip_floor_lifts_and_says_so() -> None:
    """
    A VIP's P5 is lifted to the floor and the explanation says why.
    """
    decision = VipFloor(ITIL, floor="P3").prioritize(facts("low", "low", vip=True))
    assert (Priority.P3, "vip_floor") == (decision.priority, decision.rule)
    assert decision.explanation.endswith("raised to P3: the requester is a VIP")


def test_vip_floor_keeps_more_urgent_decisions() -> None:
    """
    A VIP's decision already above the floor is left as it is.
    """
    assert ITIL.prioritize(facts("high", "high", vip=True)) == VipFloor(ITIL).prioritize(
        facts("high", "high", vip=True)
    )


def test_vip_floor_rejects_bad_config() -> None:
    """
    The inner policy must be a policy, the floor a priority.
    """
    with pytest.raises(ConfigError, match="inner: expected a priority policy"):
        VipFloor(object())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"floor: expected a priority P1\.\.P5"):
        VipFloor(ITIL, floor="urgent")


def test_rule_chain_first_match() -> None:
    """
    In "first" mode the first matching rule decides, named in the decision.
    """
    chain = RuleChain(
        [
            Rule("outage", lambda f: f.category == "outage", VipFloor(ITIL, floor="P1")),
            (lambda f: True, PriorityMatrix.five_by_five()),
        ]
    )
    assert "rule2/five_by_five" == chain.prioritize(facts(category="change")).rule
    assert "outage/itil" == chain.prioritize(facts(category="outage")).rule
    assert "outage/vip_floor" == chain.prioritize(facts(category="outage", vip=True)).rule


def test_rule_chain_highest_takes_the_most_urgent_match() -> None:
    """
    In "highest" mode the most urgent of all matching rules decides.
    """
    p1 = WeightedScore(WEIGHTS, WEIGHTS, [(2, 6, "P1")], name="p1")
    chain = RuleChain(
        [Rule("itil", lambda f: True, ITIL), Rule("p1", lambda f: True, p1)], mode="highest"
    )
    assert (Priority.P1, "p1/p1") == (
        chain.prioritize(facts()).priority,
        chain.prioritize(facts()).rule,
    )


def test_rule_chain_default() -> None:
    """
    Without a matching rule the default decides.
    """
    chain = RuleChain([Rule("never", lambda f: False, ITIL)], default=PriorityMatrix.five_by_five())
    assert "default/five_by_five" == chain.prioritize(facts()).rule


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rules": ["itil"]}, "expected a Rule or"),
        ({"rules": 5}, "rules: expected a list, got 5"),
        ({"rules": [], "mode": "best"}, "mode must be 'first' or 'highest'"),
        ({"rules": [], "default": "itil"}, "default: expected a priority policy"),
    ],
)
def test_bad_rule_chain_config(kwargs: dict[str, object], message: str) -> None:
    """
    Bad rules, modes and defaults are ConfigErrors.
    """
    with pytest.raises(ConfigError, match=message):
        RuleChain(**kwargs)  # type: ignore[arg-type]


def test_bad_rule_is_rejected() -> None:
    """
    A rule needs a callable predicate and a policy.
    """
    with pytest.raises(ConfigError, match="a rule needs a name and a predicate"):
        Rule("x", "category == outage", ITIL)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"rules\.x: expected a priority policy"):
        Rule("x", lambda f: True, None)  # type: ignore[arg-type]


def test_reprioritize_records_a_change() -> None:
    """
    A changed priority is recorded with rule, explanation and the previous priority.
    """
    t = reprioritize(ticket("high", "high"), ITIL, actor=LEE, at=T0, reason="triage")
    expected = PriorityChanged(
        at=T0,
        actor="lee",
        priority=Priority.P1,
        previous=None,
        reason="triage: impact high and urgency high give P1 in the itil matrix",
        rule="itil",
    )
    assert expected == t.history[-1]
    assert Priority.P1 == t.priority


def test_reprioritize_unchanged_records_nothing() -> None:
    """
    Re-assessing to the same priority leaves the ticket as it is.
    """
    t = reprioritize(ticket(), ITIL, actor=LEE, at=T0)
    assert t == reprioritize(t, ITIL, actor=LEE, at=T0 + timedelta(minutes=1))


def test_reprioritize_rejects_bad_arguments() -> None:
    """
    A non-Actor, a naive time or a blank reason are InvalidInput.
    """
    with pytest.raises(InvalidInput, match="actor must be an Actor"):
        reprioritize(ticket(), ITIL, actor="lee", at=T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="timezone-aware"):
        reprioritize(ticket(), ITIL, actor=LEE, at=datetime(2026, 3, 2, 9))
    with pytest.raises(InvalidInput, match="reason must not be empty"):
        reprioritize(ticket(), ITIL, actor=LEE, at=T0, reason=" ")


def test_override_records_a_manual_change() -> None:
    """
    An override is recorded as manual, with its reason and the previous priority.
    """
    t = reprioritize(ticket(), ITIL, actor=LEE, at=T0)
    t = override_priority(t, "P1", actor=LEE, at=T0, reason="CEO cannot log in")
    expected = PriorityChanged(
        at=T0,
        actor="lee",
        priority=Priority.P1,
        previous=Priority.P3,
        reason="CEO cannot log in",
        manual=True,
    )
    assert expected == t.history[-1]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_override_needs_a_reason(reason: str | None) -> None:
    """
    An override without a non-empty reason is InvalidInput and records nothing.
    """
    with pytest.raises(InvalidInput, match="reason must"):
        override_priority(ticket(), Priority.P1, actor=LEE, at=T0, reason=reason)  # type: ignore[arg-type]


def test_override_rejects_unknown_priority() -> None:
    """
    An override to something that is not a priority is InvalidInput.
    """
    with pytest.raises(InvalidInput, match="priority must be one of"):
        override_priority(ticket(), "P0", actor=LEE, at=T0, reason="x")
