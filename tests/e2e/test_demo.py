"""
The demo scenario (``make demo``) runs on the shipped desk and shows what it promises: what
each person received as they read it, and SLA clocks whose order of events is stated.
"""

from __future__ import annotations

import re

import pytest

from deskflow import cli, demo
from deskflow.surveys import SURVEY_TEMPLATE, last_survey


def _demo_output(capsys: pytest.CaptureFixture[str]) -> str:
    assert 0 == cli.main(["demo"])
    return capsys.readouterr().out


def _section(out: str, heading: str) -> str:
    start = out.index(heading)
    end = out.find("\n== ", start + len(heading))
    return out[start : None if end < 0 else end]


def test_the_demo_walks_the_seeds_scenario() -> None:
    """
    Pause, threshold escalation to level 2, notices, refused self-approval, closure.
    """
    result = demo.run()
    incident, request = result.tickets
    assert ("closed", 2, "network") == (incident.state, incident.tier, incident.group)
    assert ("closed", "P4") == (request.state, request.priority)
    assert any("REFUSED" in line and "own request" in line for line in result.narration)
    told = {(n.template, r) for n in result.notifications for r in n.recipients}
    assert ("escalation-notice", "sam.supervisor") in told
    assert ("sla-warning", "mia.manager") in told
    assert ("ticket_resolved", "ann.requester") in told
    internal_note = "suspect the concentrator certificate"
    assert all(
        internal_note not in n.body for n in result.notifications if "ann.requester" in n.recipients
    )


def test_the_requester_is_surveyed_and_answers_the_rater_is_not() -> None:
    """
    Ann closes without a rating: surveyed, and her answer is the feedback; Max rated at close.
    """
    result = demo.run()
    incident, request = result.tickets
    surveyed = [n.recipients for n in result.notifications if n.template == SURVEY_TEMPLATE]
    assert [("ann.requester",)] == surveyed
    assert last_survey(incident) is not None
    assert last_survey(request) is None
    assert (5, 4) == (
        incident.feedback and incident.feedback.rating,
        request.feedback and request.feedback.rating,
    )


def test_the_cli_prints_trails_messages_and_sla(capsys: pytest.CaptureFixture[str]) -> None:
    """
    ``python -m deskflow demo`` prints the narration, audit trails, messages and SLA clocks.
    """
    out = _demo_output(capsys)
    for heading in (
        "== What happened (virtual time in Europe/London",
        "== Audit trails",
        "== What each person received, as they read it",
        "== SLA clocks (times in Europe/London",
    ):
        assert heading in out
    assert "escalate: in_progress -> assigned (group=network, tier=2)" in out


def test_the_output_shows_no_dedup_keys_and_no_iso_stamps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """
    Nothing a person reads carries a dedup key (``INC-1|...``, ``#12:template``) or an
    ISO 8601 instant.
    """
    out = _demo_output(capsys)
    assert [] == re.findall(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", out)
    assert [] == re.findall(r"[A-Z]+-\d+\|", out)
    assert [] == re.findall(r"[A-Z]+-\d+#\d+:", out)


def test_each_person_reads_in_their_language_and_zone(capsys: pytest.CaptureFixture[str]) -> None:
    """
    Ann (German, Berlin) reads the ticket opened at 08:55 London as 09:55 on "Mo."; Lee
    (British English, London) reads his times in London.
    """
    messages = _section(_demo_output(capsys), "== What each person received")
    ann = messages[messages.index("Anna Becker (ann.requester)") :]
    ann = ann[: ann.index("\n\nLee Jones")]
    assert "reads de, in Europe/Berlin" in ann
    assert "Mo., 19. Okt., 09:55  [INC-1]" in ann
    lee = messages[messages.index("Lee Jones (lee.l1)") :]
    assert "reads en_GB, in Europe/London" in lee
    assert "Mon 19 Oct, 09:50  [INC-1]" in lee
    # Every message shows its subject beside its time and its body below it.
    assert re.search(r"\n {2}\S.*\[INC-1\].*\n {2}\| \S", ann)


def test_the_sla_table_says_which_came_first(capsys: pytest.CaptureFixture[str]) -> None:
    """
    The periodic update clock breached at 12:10 and was met at 16:40: the table says it was
    breached first and met late, never "met" alone beside a breach.
    """
    table = _section(_demo_output(capsys), "== SLA clocks")
    row = next(line for line in table.splitlines() if line.strip().startswith("periodic update"))
    assert "met late" in row
    assert "breached Mon 19 Oct 12:10, then met late Mon 19 Oct 16:40" in row
    for line in table.splitlines():
        if "breached" in line:
            assert "then met late" in line or "not met yet" in line


def test_the_demo_shows_no_raw_metric_or_state_ids(capsys: pytest.CaptureFixture[str]) -> None:
    """People read "next response" and "not started", not ``next_response``/``not_started``,
    in the messages and in the SLA table."""
    out = _demo_output(capsys)
    for raw in ("first_response", "next_response", "periodic_update", "not_started"):
        assert raw not in out
    assert "state: assigned, not assigned" not in out.lower()
