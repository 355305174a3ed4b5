"""
What rules' actions do, and the scenarios of the issue end to end through the help desk.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from builders import ADA, ANN, LEE, T0, H, M, helpdesk, incident, working
from deskflow.automation import run_rules
from deskflow.desk import Desk
from deskflow.enums import Audience, FieldType, Priority, RuleTrigger
from deskflow.events import CommentAdded, FieldsChanged, RuleFired, RuleNotified
from deskflow.exceptions import ConfigError
from deskflow.fields import CustomField
from deskflow.macros import Macro, MacroStep
from deskflow.policies.notices import MappingDirectory
from deskflow.rules import (
    AddComment,
    All,
    ApplyMacro,
    Assign,
    Field,
    FireTrigger,
    Notify,
    Rule,
    RuleSet,
    SetFields,
)

OPENED = frozenset({RuleTrigger.OPENED})
HOURS = CustomField("hours", FieldType.DECIMAL)


def last_fired(ticket: object) -> RuleFired:
    """
    The last rule firing of a ticket.
    """
    return [e for e in ticket.history if isinstance(e, RuleFired)][-1]  # type: ignore[attr-defined]


def test_set_fields_checks_values_with_the_field() -> None:
    """
    SetFields records the value in the field's canonical form; an unknown field skips it.
    """
    desk = Desk(
        fields={"hours": HOURS}, rules=RuleSet((Rule("h", OPENED, (SetFields({"hours": "1.5"}),)),))
    )
    ticket = run_rules(desk, None, incident(), T0)
    assert Decimal("1.5") == ticket.fields["hours"]
    (change,) = [e for e in ticket.history if isinstance(e, FieldsChanged)]
    assert "rule h" == change.reason
    # An unknown field is refused when the desk is built (the engine would skip it).
    with pytest.raises(ConfigError, match=r"rules\.h\.then\.0\.set_fields\.nope: unknown field"):
        Desk(rules=RuleSet((Rule("h", OPENED, (SetFields({"nope": 1}),)),)))


def test_notify_resolves_recipient_symbols() -> None:
    """
    ``@requester``, ``@assignee``, ``@group``, ``@supervisor`` (of the group, else of
    ``*``) and ``@manager`` (of the assignee) resolve; ids stay; the unresolvable go.
    """
    directory = MappingDirectory(managers={"lee": "mia"}, supervisors={"service-desk": "sam"})
    # (An unknown symbol such as ``@who`` is refused when the desk is built.)
    wanted = ("@requester", "@assignee", "@group", "@supervisor", "@manager", "oncall")
    rule = Rule("tell", frozenset({RuleTrigger.AGENT_REPLY}), (Notify("notice", wanted),))
    desk = Desk(rules=RuleSet((rule,)), directory=directory)
    ticket = working()
    said = ticket.record(CommentAdded(at=T0, actor="lee", body="on it"))
    out = run_rules(desk, ticket, said, T0)
    (notice,) = [e for e in out.history if isinstance(e, RuleNotified)]
    assert ("ann", "lee", "service-desk", "sam", "mia", "oncall") == notice.recipients
    fallback = Desk(rules=desk.rules, directory=MappingDirectory(supervisors={"*": "boss"}))
    (notice,) = [
        e for e in run_rules(fallback, ticket, said, T0).history if isinstance(e, RuleNotified)
    ]
    assert "boss" in notice.recipients


def test_notify_with_nobody_to_tell_is_skipped() -> None:
    """
    With no recipient left the action is skipped and says so.
    """
    rule = Rule("tell", OPENED, (Notify("notice", ("@assignee",)),))
    ticket = run_rules(Desk(rules=RuleSet((rule,))), None, incident(), T0)
    assert last_fired(ticket).actions[0].startswith("skipped notify notice: nobody to notify")


def test_a_rule_notice_reaches_the_outbox() -> None:
    """
    A RuleNotified becomes a notification with the rule's template and recipients.
    """
    rule = Rule("page", OPENED, (Notify("p1_page", ("oncall",)),))
    rig = helpdesk(Desk(rules=RuleSet((rule,))))
    rig.desk.open(ANN, title="VPN down")
    pages = [n for n in rig.repo.pending_notifications(100) if n.template == "p1_page"]
    assert [("oncall",)] == [n.recipients for n in pages]
    assert Audience.STAFF == pages[0].audience


def test_add_comment_renders_the_desk_text_as_a_public_reply() -> None:
    """
    AddComment renders the desk's text; a public one is a reply the requester is told of.
    """
    rule = Rule("ack", OPENED, (AddComment("ack"),))
    desk = Desk(rules=RuleSet((rule,)), texts={"ack": "Hello $requester, we got $id."})
    rig = helpdesk(desk)
    view = rig.desk.open(ANN, title="VPN down")
    stored = rig.repo.get(view.id)
    assert f"Hello ann, we got {view.id}." == stored.comments[-1].body
    assert "public_reply" in [n.template for n in rig.repo.pending_notifications(100)]
    note = Rule("note", OPENED, (AddComment("ack", internal=True),))
    noted = run_rules(Desk(rules=RuleSet((note,)), texts=desk.texts), None, incident(), T0)
    assert noted.comments[-1].internal


def test_apply_macro_runs_the_macro_as_the_system() -> None:
    """
    ApplyMacro applies the desk's macro in the rule's firing: the desk's own configuration,
    not a person's request, so its steps are not authorized one by one.
    """
    macro = Macro("triage", (MacroStep("classify", {"category": "access"}),))
    rule = Rule("triage", OPENED, (ApplyMacro("triage"),))
    desk = Desk(rules=RuleSet((rule,)), macros={"triage": macro})
    assert "access" == run_rules(desk, None, incident(), T0).category


def test_a_p1_on_the_network_service_goes_to_netops_and_pages_the_on_call() -> None:
    """
    The issue's first example: a P1 on the network service is assigned to netops and the
    on-call (the netops supervisor) is paged, in the save of the command that made it P1.
    """
    rule = Rule(
        "P1 network to netops",
        frozenset({RuleTrigger.OPENED, RuleTrigger.PRIORITY_CHANGED, RuleTrigger.CLASSIFIED}),
        (Assign(group="netops"), Notify("p1_page", ("@supervisor",))),
        condition=All(
            (
                Field("priority", "eq", "P1"),
                Field("service", "eq", "network"),
                Field("group", "ne", "netops"),
            )
        ),
    )
    directory = MappingDirectory(supervisors={"netops": "olga"})
    rig = helpdesk(Desk(rules=RuleSet((rule,)), directory=directory))
    quiet = rig.desk.open(
        ANN, title="Printer jam", service="printing", impact="high", urgency="high"
    )
    assert rig.repo.get(quiet.id).group is None
    view = rig.desk.open(
        ANN, title="Core switch down", service="network", impact="low", urgency="low"
    )
    assert rig.repo.get(view.id).group is None  # P5: not yet
    rig.desk.classify(LEE, view.id, impact="high", urgency="high")
    stored = rig.repo.get(view.id)
    assert (Priority.P1, "netops", "assigned") == (stored.priority, stored.group, stored.state)
    pages = [n for n in rig.repo.pending_notifications(100) if n.template == "p1_page"]
    assert [("olga",)] == [n.recipients for n in pages]
    rig.desk.classify(ADA, view.id, category="network")  # already with netops: no new page
    assert 1 == len([n for n in rig.repo.pending_notifications(100) if n.template == "p1_page"])


def test_a_rule_fires_once_for_the_several_events_of_one_command() -> None:
    """
    Opening a P1 records the opening and its priority, two events a rule on ``opened`` and
    ``priority_changed`` runs on: one change is one occasion, so it pages once; a later
    change that matches again is a new occasion.
    """
    rule = Rule(
        "page P1",
        frozenset({RuleTrigger.OPENED, RuleTrigger.PRIORITY_CHANGED, RuleTrigger.CLASSIFIED}),
        (Notify("p1_page", ("@supervisor",)),),
        condition=Field("priority", "eq", "P1"),
    )
    directory = MappingDirectory(supervisors={"*": "olga"})
    rig = helpdesk(Desk(rules=RuleSet((rule,)), directory=directory))
    view = rig.desk.open(ANN, title="Core switch down", impact="high", urgency="high")
    fired = [e for e in rig.repo.get(view.id).history if isinstance(e, RuleFired)]
    assert ["page P1"] == [e.rule for e in fired]
    rig.desk.classify(LEE, view.id, category="network")
    fired = [e for e in rig.repo.get(view.id).history if isinstance(e, RuleFired)]
    assert ["page P1", "page P1"] == [e.rule for e in fired]


def test_reopen_when_the_requester_replies_to_a_resolved_ticket() -> None:
    """
    The issue's reopen example: a requester's message on a resolved ticket reopens it
    (within the workflow's window); after the window the action is skipped, not retried.
    """
    rule = Rule(
        "reopen on requester reply",
        frozenset({RuleTrigger.REQUESTER_COMMENT}),
        (FireTrigger("reopen"),),
        condition=Field("state", "eq", "resolved"),
    )
    rig = helpdesk(Desk(rules=RuleSet((rule,))))
    view = rig.desk.open(ANN, title="VPN down")
    rig.desk.assign(LEE, view.id, group="service-desk", assignee="lee")
    rig.desk.start(LEE, view.id)
    rig.desk.resolve(LEE, view.id, resolution="Reset the token")
    rig.clock.advance(H)
    rig.desk.comment(ANN, view.id, body="Still broken")
    stored = rig.repo.get(view.id)
    assert "in_progress" == stored.state
    assert "reopen on requester reply" in stored.last_state_change.reason  # type: ignore[union-attr,operator]
    rig.desk.resolve(LEE, view.id, resolution="Replaced the token")
    rig.clock.advance(8 * 24 * H + M)
    rig.desk.comment(ANN, view.id, body="Thanks, and one more thing")
    late = rig.repo.get(view.id)
    assert "resolved" == late.state
    assert last_fired(late).actions[0].startswith("skipped fire reopen")
