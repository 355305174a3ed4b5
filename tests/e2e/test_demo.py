"""
The demo scenario (``make demo``) runs on the shipped desk and shows what it promises.
"""

from __future__ import annotations

import pytest

from deskflow import cli, demo


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


def test_the_cli_prints_trails_notifications_and_sla(capsys: pytest.CaptureFixture[str]) -> None:
    """
    ``python -m deskflow demo`` prints the audit trails, who was told what, and SLA reports.
    """
    assert 0 == cli.main(["demo"])
    out = capsys.readouterr().out
    for heading in ("== Audit trails", "== What each party was told", "== SLA reports"):
        assert heading in out
    assert "escalate: in_progress -> assigned (group=network, tier=2)" in out
