"""
Properties of satisfaction surveys: sampling is a pure, monotone function of the ticket id;
on any sequence of closes no requester is surveyed twice within the cooldown and no ticket
twice; an answer is taken exactly while the survey is open.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import ANN, DAY, LEE, T0, ZOE, H, helpdesk
from deskflow import Actor, Desk
from deskflow.exceptions import InvalidInput
from deskflow.surveys import SurveyPolicy, last_survey

PERCENTS = st.floats(min_value=0, max_value=100, allow_nan=False)
IDS = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    str.strip
)


@given(ticket_id=IDS, low=PERCENTS, high=PERCENTS)
def test_sampling_is_deterministic_and_monotone(ticket_id: str, low: float, high: float) -> None:
    """
    The same id gets the same answer from two policies; in at p implies in at any q >= p.
    """
    low, high = sorted((low, high))
    assert SurveyPolicy(sample_percent=low).sampled(ticket_id) == SurveyPolicy(
        sample_percent=low
    ).sampled(ticket_id)
    if SurveyPolicy(sample_percent=low).sampled(ticket_id):
        assert SurveyPolicy(sample_percent=high).sampled(ticket_id)
    assert SurveyPolicy(sample_percent=100).sampled(ticket_id)
    assert not SurveyPolicy(sample_percent=0).sampled(ticket_id)


@pytest.mark.parametrize("percent", [1, 10, 25, 50, 90])
def test_the_sample_is_the_share_asked_for(percent: int) -> None:
    """
    Over 20,000 consecutive ids the share sampled is within one point of the percentage.
    """
    policy = SurveyPolicy(sample_percent=percent)
    share = sum(policy.sampled(f"INC-{n}") for n in range(1, 20_001)) / 20_000
    assert abs(share * 100 - percent) < 1


STEPS = st.lists(
    st.tuples(st.sampled_from([ANN, ZOE]), st.sampled_from([timedelta(0), H, DAY, 3 * DAY])),
    min_size=1,
    max_size=8,
)


@given(steps=STEPS, cooldown_days=st.integers(0, 4), percent=st.sampled_from([50, 100]))
def test_no_requester_is_surveyed_twice_within_the_cooldown(
    steps: list[tuple[Actor, timedelta]], cooldown_days: int, percent: int
) -> None:
    """
    Whatever the order and spacing of closes: each requester's surveys are at least the
    cooldown apart, every surveyed ticket is in the sample, and a sampled ticket closed
    outside any cooldown is surveyed.
    """
    cooldown = cooldown_days * DAY
    policy = SurveyPolicy(sample_percent=percent, cooldown=cooldown)
    rig = helpdesk(Desk(surveys=policy))
    last_sent: dict[str, object] = {}
    for requester, wait in steps:
        rig.clock.advance(wait)
        ticket = rig.desk.open(requester, title="Laptop slow")
        rig.desk.assign(LEE, ticket.id, group="service-desk", assignee=LEE.id)
        rig.desk.resolve(LEE, ticket.id, resolution="Cleaned up the disk")
        rig.desk.close(requester, ticket.id)
        stored = rig.repo.get(ticket.id)
        sent = last_survey(stored)
        now = rig.clock.now()
        previous = last_sent.get(requester.id)
        free = previous is None or cooldown == timedelta(0) or now - previous >= cooldown  # type: ignore[operator]
        if sent is not None:
            assert policy.sampled(ticket.id)
            assert free
            last_sent[requester.id] = sent.at
        else:
            assert not (policy.sampled(ticket.id) and free)
        assert sum(1 for e in stored.history if type(e).__name__ == "SurveySent") <= 1


@given(wait=st.integers(0, 6 * 24 * 60))
def test_an_answer_is_taken_exactly_while_the_survey_is_open(wait: int) -> None:
    """
    Before ``expires_at`` the answer is the feedback; from then on it is refused.
    """
    rig = helpdesk(Desk(surveys=SurveyPolicy(expires_after=3 * DAY, cooldown=timedelta(0))))
    ticket = rig.desk.open(ANN, title="Printer jam")
    rig.desk.assign(LEE, ticket.id, group="service-desk", assignee=LEE.id)
    rig.desk.resolve(LEE, ticket.id, resolution="Removed the jam")
    rig.desk.close(ANN, ticket.id)
    rig.clock.advance(timedelta(minutes=wait))
    if rig.clock.now() < T0 + 3 * DAY:
        assert 3 == rig.desk.answer_survey(ANN, ticket.id, rating=3).feedback.rating  # type: ignore[union-attr]
    else:
        with pytest.raises(InvalidInput, match="expired"):
            rig.desk.answer_survey(ANN, ticket.id, rating=3)
