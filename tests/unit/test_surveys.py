"""
Satisfaction surveys: sent on close (or resolve) to a sample of requesters, at most once per
cooldown, answered as feedback until they expire, and counted in reports.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from builders import ANN, DAY, LEE, SAM, T0, ZOE, H, Rig, helpdesk
from deskflow import Actor, Desk, Role
from deskflow.adapters import InMemoryNotifier, ManualClock
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.codec import event_from_dict, event_to_dict
from deskflow.config import load_desk
from deskflow.exceptions import ConfigError, InvalidInput, PermissionDenied
from deskflow.reports import desk_report
from deskflow.service import HelpDesk
from deskflow.surveys import SURVEY_TEMPLATE, SurveyPolicy, SurveySent, last_survey

EVERYONE = SurveyPolicy(cooldown=timedelta(0))


def _rig(policy: SurveyPolicy = EVERYONE, **desk: object) -> Rig:
    return helpdesk(Desk(surveys=policy, **desk))  # type: ignore[arg-type]


def _solve(rig: Rig, requester: Actor = ANN, *, title: str = "VPN down") -> str:
    ticket = rig.desk.open(requester, title=title)
    rig.desk.assign(LEE, ticket.id, group="service-desk", assignee=LEE.id)
    rig.desk.resolve(LEE, ticket.id, resolution="Replaced the token")
    return ticket.id


def _surveys(rig: Rig) -> list[tuple[str, tuple[str, ...]]]:
    rig.desk.deliver_pending()
    return [(n.ticket_id, n.recipients) for n in rig.notifier.sent if n.template == SURVEY_TEMPLATE]


def test_closing_a_solved_ticket_sends_the_requester_a_survey() -> None:
    """
    The close records SurveySent and queues ``satisfaction_survey`` to the requester.
    """
    rig = _rig()
    ticket_id = _solve(rig)
    assert [] == _surveys(rig)
    rig.desk.close(ANN, ticket_id)
    assert [(ticket_id, (ANN.id,))] == _surveys(rig)
    sent = last_survey(rig.repo.get(ticket_id))
    assert sent is not None
    assert T0 + EVERYONE.expires_after == sent.expires_at


def test_auto_close_sends_the_survey_too() -> None:
    """
    The tick's auto-close goes through the pipeline, so it surveys like a close by hand.
    """
    rig = _rig(auto_close_after=H)
    ticket_id = _solve(rig)
    rig.clock.advance(2 * H)
    rig.desk.tick()
    assert "closed" == rig.repo.get(ticket_id).state
    assert [(ticket_id, (ANN.id,))] == _surveys(rig)


def test_on_resolve_the_survey_goes_with_the_solution_and_once() -> None:
    """
    ``on="resolve"``: sent at resolution; a reopened ticket resolved again is not asked again.
    """
    rig = _rig(SurveyPolicy(on="resolve", cooldown=timedelta(0)))
    ticket_id = _solve(rig)
    assert [(ticket_id, (ANN.id,))] == _surveys(rig)
    rig.desk.reopen(ANN, ticket_id, reason="Still broken")
    rig.desk.resolve(LEE, ticket_id, resolution="Replaced the laptop")
    rig.desk.close(ANN, ticket_id)
    assert 1 == len(_surveys(rig))


def test_a_cancelled_ticket_is_not_surveyed() -> None:
    """
    Cancelling is no solution: no survey on close's sibling final state.
    """
    rig = _rig()
    ticket = rig.desk.open(ANN, title="Never mind")
    rig.desk.cancel(ANN, ticket.id, reason="Works again")
    assert [] == _surveys(rig)


def test_a_ticket_closed_with_feedback_is_not_surveyed() -> None:
    """
    The requester rated it already: asking again would be noise.
    """
    rig = _rig()
    ticket_id = _solve(rig)
    rig.desk.close(ANN, ticket_id, rating=5)
    assert [] == _surveys(rig)


def test_a_desk_without_a_survey_policy_sends_none() -> None:
    """
    Surveys are opt-in: the default desk sends none.
    """
    rig = helpdesk()
    rig.desk.close(ANN, _solve(rig))
    assert [] == _surveys(rig)


def test_the_cooldown_spares_a_requester_but_not_another() -> None:
    """
    Within the cooldown Ann is not asked again; Zoe is; after it, Ann is asked again.
    """
    rig = _rig(SurveyPolicy(cooldown=7 * DAY))
    first, second, zoes = _solve(rig), _solve(rig), _solve(rig, ZOE)
    rig.desk.close(ANN, first)
    rig.clock.advance(DAY)
    rig.desk.close(ANN, second)
    rig.desk.close(ZOE, zoes)
    assert [first, zoes] == [ticket_id for ticket_id, _ in _surveys(rig)]
    rig.clock.advance(7 * DAY)
    third = _solve(rig)
    rig.desk.close(ANN, third)
    assert third == _surveys(rig)[-1][0]


def test_the_cooldown_holds_across_processes(tmp_path: Path) -> None:
    """
    Two help desks (two processes) on one store: the second sees the first's survey.
    """
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engines = [engine_for(url), engine_for(url)]
    try:
        clock = ManualClock(T0)
        desk = Desk(surveys=SurveyPolicy(cooldown=30 * DAY))
        notifiers = [InMemoryNotifier(), InMemoryNotifier()]
        one, two = (
            HelpDesk(SqlTicketRepository(engine, migrate=True), notifier, clock, desk)
            for engine, notifier in zip(engines, notifiers, strict=True)
        )
        ids = []
        for service in (one, two):
            ticket = service.open(ANN, title="VPN down")
            service.assign(LEE, ticket.id, group="service-desk", assignee=LEE.id)
            service.resolve(LEE, ticket.id, resolution="Fixed")
            ids.append(ticket.id)
        one.close(ANN, ids[0])
        clock.advance(H)
        two.close(ANN, ids[1])
        two.deliver_pending()
        surveyed = [n.ticket_id for n in notifiers[1].sent if n.template == SURVEY_TEMPLATE]
        assert [ids[0]] == surveyed  # the first desk's survey, delivered from the shared outbox
        assert last_survey(two.repository.get(ids[1])) is None
    finally:
        for engine in engines:
            engine.dispose()


def test_sampling_leaves_out_the_tickets_outside_the_sample() -> None:
    """
    At 50%, exactly the tickets ``sampled()`` picks are surveyed.
    """
    policy = SurveyPolicy(sample_percent=50, cooldown=timedelta(0))
    rig = _rig(policy)
    ids = [_solve(rig) for _ in range(8)]
    for ticket_id in ids:
        rig.desk.close(ANN, ticket_id)
    expected = [ticket_id for ticket_id in ids if policy.sampled(ticket_id)]
    assert 0 < len(expected) < len(ids)
    assert expected == [ticket_id for ticket_id, _ in _surveys(rig)]


def test_the_requester_answers_after_close_and_the_answer_is_the_feedback() -> None:
    """
    ``answer_survey`` on a closed ticket records FeedbackGiven; the ticket stays closed.
    """
    rig = _rig()
    ticket_id = _solve(rig)
    rig.desk.close(ANN, ticket_id)
    rig.clock.advance(DAY)
    view = rig.desk.answer_survey(ANN, ticket_id, rating=4, comment="Quick, thanks")
    assert ("closed", 4, "Quick, thanks") == (
        view.state,
        view.feedback and view.feedback.rating,
        view.feedback and view.feedback.comment,
    )
    with pytest.raises(InvalidInput, match="answered already"):
        rig.desk.answer_survey(ANN, ticket_id, rating=1)


def test_an_answer_after_expiry_is_refused_and_nothing_is_stored() -> None:
    """
    At the expiry instant the survey takes no more answers.
    """
    rig = _rig(SurveyPolicy(expires_after=3 * DAY, cooldown=timedelta(0)))
    ticket_id = _solve(rig)
    rig.desk.close(ANN, ticket_id)
    before = rig.repo.get(ticket_id).version
    rig.clock.advance(3 * DAY)
    with pytest.raises(InvalidInput, match="expired"):
        rig.desk.answer_survey(ANN, ticket_id, rating=5)
    assert before == rig.repo.get(ticket_id).version
    assert rig.repo.get(ticket_id).feedback is None


def test_only_the_requester_answers() -> None:
    """
    The ``feedback`` permission: another requester, and an agent, are refused.
    """
    rig = _rig()
    ticket_id = _solve(rig)
    rig.desk.close(ANN, ticket_id)
    for stranger in (ZOE, LEE):
        with pytest.raises(PermissionDenied):
            rig.desk.answer_survey(stranger, ticket_id, rating=5)


def test_an_answer_without_a_survey_or_with_a_bad_rating_is_refused() -> None:
    """
    No survey was sent; a rating outside 1..5; an over-long comment: InvalidInput.
    """
    rig = helpdesk()
    ticket_id = _solve(rig)
    rig.desk.close(ANN, ticket_id)
    with pytest.raises(InvalidInput, match="no satisfaction survey"):
        rig.desk.answer_survey(ANN, ticket_id, rating=5)
    rig = _rig()
    ticket_id = _solve(rig)
    rig.desk.close(ANN, ticket_id)
    with pytest.raises(InvalidInput, match="1 to 5"):
        rig.desk.answer_survey(ANN, ticket_id, rating=6)
    with pytest.raises(InvalidInput, match="feedback_comment"):
        rig.desk.answer_survey(ANN, ticket_id, rating=5, comment="x" * 5_001)
    assert rig.repo.get(ticket_id).feedback is None


def test_reports_count_sent_and_answered() -> None:
    """
    Two surveys sent, one answered: 1 of 2, and the answer is a rating too.
    """
    rig = _rig()
    answered, ignored = _solve(rig), _solve(rig, ZOE)
    rig.desk.close(ANN, answered)
    rig.desk.close(SAM, ignored)
    rig.desk.answer_survey(ANN, answered, rating=5)
    report = desk_report(rig.repo.by_state("closed"), now=T0 + DAY)
    satisfaction = report.satisfaction
    assert (2, 1, 0.5, 1) == (
        satisfaction.surveys_sent,
        satisfaction.surveys_answered,
        satisfaction.response_rate,
        satisfaction.count,
    )
    row = report.to_row()
    assert (2, 1, 0.5) == (
        row["surveys_sent"],
        row["surveys_answered"],
        row["survey_response_rate"],
    )
    outside = desk_report(rig.repo.by_state("closed"), now=T0 + DAY, period=(T0 + H, T0 + DAY))
    assert (0, None) == (outside.satisfaction.surveys_sent, outside.satisfaction.response_rate)


def test_the_surveys_section_of_a_config() -> None:
    """
    ``[surveys]`` builds the policy; bad values are ConfigErrors naming the field.
    """
    desk = load_desk(
        {
            "surveys": {
                "on": "resolve",
                "sample_percent": 25,
                "cooldown": "0s",
                "expires_after": "7d",
            }
        }
    )
    assert (
        SurveyPolicy(on="resolve", sample_percent=25, cooldown=timedelta(0), expires_after=7 * DAY)
        == desk.surveys
    )
    assert load_desk({}).surveys is None
    with pytest.raises(ConfigError) as error:
        load_desk({"surveys": {"on": "reopen", "sample_percent": 101, "expires_after": "0s"}})
    assert {("surveys", "on"), ("surveys", "sample_percent"), ("surveys", "expires_after")} == {
        tuple(path) for path, _ in error.value.problems
    }


@pytest.mark.parametrize(
    "options",
    [
        {"on": "reopen"},
        {"sample_percent": -1},
        {"sample_percent": True},
        {"cooldown": timedelta(seconds=-1)},
        {"expires_after": timedelta(0)},
        {"template": " "},
    ],
)
def test_a_bad_policy_is_a_config_error(options: dict[str, object]) -> None:
    """
    Each bad value of a policy built in Python is refused when it is built.
    """
    with pytest.raises(ConfigError):
        SurveyPolicy(**options)  # type: ignore[arg-type]


def test_a_desk_refuses_something_else_as_its_survey_policy() -> None:
    """
    ``Desk(surveys=...)`` takes a SurveyPolicy or None.
    """
    with pytest.raises(ConfigError, match="SurveyPolicy"):
        Desk(surveys={"on": "close"})  # type: ignore[arg-type]


def test_survey_sent_round_trips_through_the_codec_and_requesters_see_it() -> None:
    """
    Stored and loaded like every event; not internal, so the requester's trail shows it.
    """
    event = SurveySent(at=T0, actor="system", expires_at=T0 + DAY)
    assert event == event_from_dict(event_to_dict(event))
    assert not event.internal
    assert "open until 2026-03-03 09:00 UTC" in event.describe()
    requester = Actor("ann", Role.REQUESTER)
    rig = _rig()
    ticket_id = _solve(rig)
    rig.desk.close(requester, ticket_id)
    trail = [entry.describe() for entry in rig.desk.view(requester, ticket_id).history]
    assert any("satisfaction survey sent" in line for line in trail)
