"""
The automation engine: which triggers events raise, how conditions read a ticket, the order
and hit policy of rules, dedup keys and the cascade bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import pytest

from builders import ANN, LEE, SAM, T0, H, helpdesk, incident, working
from deskflow import INCIDENT, Ticket, Trigger
from deskflow.automation import run_rules, triggers_of
from deskflow.desk import Desk
from deskflow.enums import HitPolicy, Priority, RuleTrigger
from deskflow.events import (
    CommentAdded,
    PriorityChanged,
    RuleFired,
    StateChanged,
    TagsChanged,
)
from deskflow.exceptions import InvalidInput, RuleCascadeError
from deskflow.policies.routers import LeastLoaded
from deskflow.routing import Candidate
from deskflow.rules import (
    AddTags,
    All,
    AnyOf,
    Field,
    FireTrigger,
    Not,
    RemoveTags,
    Route,
    Rule,
    RuleContext,
    RuleSet,
    SetPriority,
    Stop,
    Triggered,
)

OPENED = frozenset({RuleTrigger.OPENED})
TAGS = frozenset({RuleTrigger.TAGS_CHANGED})
REPLY = frozenset({RuleTrigger.AGENT_REPLY})


def desk_with(*rules: Rule, **options: object) -> Desk:
    """
    The default desk with these rules, in this order.
    """
    return Desk(rules=RuleSet(rules, **options))  # type: ignore[arg-type]


def fired(ticket: object) -> list[RuleFired]:
    """
    The rule firings in a ticket's history.
    """
    return [e for e in ticket.history if isinstance(e, RuleFired)]  # type: ignore[attr-defined]


@attrs.frozen
class People:
    """
    A people directory from two mappings.
    """

    people: Mapping[str, Mapping[str, object]] = attrs.field(factory=dict)
    groups: Mapping[str, Sequence[Candidate]] = attrs.field(factory=dict)

    def attributes(self, person_id: str) -> Mapping[str, object]:
        """
        The person's attributes.
        """
        return self.people.get(person_id, {})

    def candidates(self, group: str) -> Sequence[Candidate]:
        """
        The group's agents.
        """
        return self.groups.get(group, ())


# -- triggers ---------------------------------------------------------------------------------


def test_each_event_raises_its_triggers() -> None:
    """
    Opening, comments by author and visibility, and state changes (an assignment also
    ``assigned``) raise the triggers the design lists; rules' bookkeeping raises none.
    """
    ticket = incident()
    opened = ticket.history[0]
    assert {RuleTrigger.OPENED} == triggers_of(opened, None)
    say = CommentAdded(at=T0, actor="ann", body="hi", author_role="requester")
    assert {RuleTrigger.REQUESTER_COMMENT} == triggers_of(say, ticket)
    reply = CommentAdded(at=T0, actor="lee", body="hi", author_role="agent")
    assert {RuleTrigger.AGENT_REPLY} == triggers_of(reply, ticket)
    note = CommentAdded(at=T0, actor="lee", body="hi", visibility="internal")
    assert {RuleTrigger.INTERNAL_NOTE} == triggers_of(note, ticket)
    assigned = INCIDENT.fire(ticket, Trigger.ASSIGN, actor=LEE, at=T0, group="service-desk")
    assert {RuleTrigger.STATE_CHANGED, RuleTrigger.ASSIGNED} == triggers_of(
        assigned.history[-1], ticket
    )
    started = INCIDENT.fire(working(), Trigger.RESOLVE, actor=LEE, at=T0, resolution="done")
    assert {RuleTrigger.STATE_CHANGED} == triggers_of(started.history[-1], working())
    escalated = StateChanged(
        at=T0, actor="lee", trigger="escalate", source="a", dest="b", group="network", tier=2
    )
    assert RuleTrigger.ASSIGNED in triggers_of(escalated, working())
    tags = TagsChanged(at=T0, actor="system", added=("x",))
    assert {RuleTrigger.TAGS_CHANGED} == triggers_of(tags, ticket)
    priority = PriorityChanged(at=T0, actor="lee", priority="P1")
    assert {RuleTrigger.PRIORITY_CHANGED} == triggers_of(priority, ticket)
    bookkeeping = RuleFired(at=T0, actor="system", rule="r", dedup_key="k")
    assert frozenset() == triggers_of(bookkeeping, ticket)


# -- conditions -------------------------------------------------------------------------------


def context(
    ticket: Ticket, before: Ticket | None = None, people: People | None = None
) -> RuleContext:
    """
    A context for ``ticket`` on an agent reply.
    """
    reply = RuleTrigger.AGENT_REPLY
    return RuleContext(ticket=ticket, now=T0, trigger=reply, before=before, people=people)


@pytest.mark.parametrize(
    ("condition", "held"),
    [
        (Field("priority", "eq", "P2"), True),
        (Field("priority", "ne", "P2"), False),
        (Field("priority", "ge", "P3"), True),  # P2 is at least as urgent as P3
        (Field("priority", "gt", "P1"), False),
        (Field("priority", "in", frozenset({"P1", "P2"})), True),
        (Field("group", "not_in", frozenset({"network"})), True),
        (Field("title", "contains", "VPN"), True),
        (Field("title", "not_contains", "printer"), True),
        (Field("tier", "lt", 2), True),
        (Field("tier", "le", 0), False),
        (Field("category", "is_set"), False),
        (Field("category", "is_not_set"), True),
        (Field("tags", "contains", "vip"), False),
        (Field("fields.asset", "eq", "LT-1"), False),
        (Field("nonsense", "eq", "x"), False),
        (Field("state", "changed"), False),
        (Triggered(REPLY), True),
        (Triggered(OPENED), False),
        (All(()), True),
        (AnyOf(()), False),
        (All((Field("state", "eq", "in_progress"), Not(Field("assignee", "is_not_set")))), True),
        (AnyOf((Field("state", "eq", "new"), Field("assignee", "eq", "lee"))), True),
    ],
)
def test_field_conditions_read_the_ticket(condition: object, held: bool) -> None:
    """
    Each operator compares the value at its path; priorities compare by urgency.
    """
    assert held == condition.test(context(working()))  # type: ignore[attr-defined]


def test_changed_compares_the_ticket_before_the_event() -> None:
    """
    ``changed``, ``changed_from`` and ``changed_to`` compare the ticket before the event with
    the ticket now; with no before (an opening) nothing changed.
    """
    before, after = incident(priority="P3"), working(priority="P3")
    assert Field("state", "changed").test(context(after, before))
    assert Field("state", "changed_from", "new").test(context(after, before))
    assert Field("state", "changed_to", "in_progress").test(context(after, before))
    assert not Field("state", "changed_to", "resolved").test(context(after, before))
    assert not Field("priority", "changed").test(context(after, before))
    assert not Field("state", "changed").test(context(after))


def test_people_attributes_come_from_the_directory() -> None:
    """
    ``requester.<attribute>`` and ``assignee.<attribute>`` read the host's directory; an
    unknown person or no directory reads as unset.
    """
    people = People({"ann": {"vip": True}, "lee": {"organization": "it"}})
    ticket = working()
    assert Field("requester.vip", "eq", True).test(context(ticket, people=people))
    assert Field("assignee.organization", "eq", "it").test(context(ticket, people=people))
    assert not Field("requester.vip", "eq", True).test(context(ticket))
    assert not Field("assignee.vip", "is_set").test(context(incident(), people=people))


def test_explain_says_part_by_part_why_with_paths() -> None:
    """
    ``explain`` lists each part with its path in the configuration's words and what it found.
    """
    condition = All((Field("priority", "eq", "P1"), Not(Field("state", "eq", "new"))))
    lines = condition.explain(context(working()))
    assert [(), ("all", 0), ("all", 1), ("all", 1, "not")] == [line.path for line in lines]
    assert [False, False, True, False] == [line.held for line in lines]
    assert "priority eq P1 (is P2)" == lines[1].text


def test_rule_set_indexes_rules_by_trigger_in_order() -> None:
    """
    ``for_trigger`` gives the rules of one trigger in the declared order; ``named`` finds a
    rule or names the known ones.
    """
    a = Rule("a", OPENED | REPLY, ())
    b = Rule("b", REPLY, ())
    c = Rule("c", OPENED, ())
    rules = RuleSet((a, b, c))
    assert (a, c) == rules.for_trigger(RuleTrigger.OPENED)
    assert (a, b) == rules.for_trigger(RuleTrigger.AGENT_REPLY)
    assert () == rules.for_trigger(RuleTrigger.TIME)
    assert b == rules.named("b")
    with pytest.raises(InvalidInput, match="known: a, b, c"):
        rules.named("z")


# -- the engine -------------------------------------------------------------------------------


def test_a_rule_fires_once_with_its_key_and_the_reason() -> None:
    """
    A rule's actions are recorded as the system with ``rule <name>`` as the reason, then a
    RuleFired with the dedup key of the triggering event; running again changes nothing.
    """
    rule = Rule("vpn", OPENED, (AddTags(("vpn",)),), condition=Field("title", "contains", "VPN"))
    desk = desk_with(rule)
    ticket = run_rules(desk, None, incident(), T0)
    tags, done = ticket.history[-2:]
    assert isinstance(tags, TagsChanged)
    assert ("system", "rule vpn") == (tags.actor, tags.reason)
    assert isinstance(done, RuleFired)
    assert ("T-1|rule|vpn|e0", 0, 1) == (done.dedup_key, done.cause, done.depth)
    assert ticket == run_rules(desk, None, ticket, T0)


def test_rules_see_the_changes_of_earlier_rules() -> None:
    """
    Rules run in their declared order on the ticket as the earlier ones left it.
    """
    first = Rule("first", OPENED, (AddTags(("a",)),))
    second = Rule("second", OPENED, (AddTags(("b",)),), condition=Field("tags", "contains", "a"))
    assert {"a", "b"} == run_rules(desk_with(first, second), None, incident(), T0).tags
    assert {"a"} == run_rules(desk_with(second, first), None, incident(), T0).tags


def test_first_hit_policy_and_stop() -> None:
    """
    With ``first`` only the first rule that fires for an event does; ``Stop`` ends the
    event's rules whatever the policy; a rule whose condition fails does not count.
    """
    skip = Rule("skip", OPENED, (AddTags(("z",)),), condition=Field("state", "eq", "closed"))
    a, b = Rule("a", OPENED, (AddTags(("a",)),)), Rule("b", OPENED, (AddTags(("b",)),))
    first = desk_with(skip, a, b, hit_policy=HitPolicy.FIRST)
    assert {"a"} == run_rules(first, None, incident(), T0).tags
    stop = Rule("stop", OPENED, (AddTags(("s",)), Stop()))
    assert {"a", "s"} == run_rules(desk_with(a, stop, b), None, incident(), T0).tags


def test_kinds_limit_a_rule_to_ticket_kinds() -> None:
    """
    A rule for service requests does not run on incidents.
    """
    rule = Rule("requests", OPENED, (AddTags(("r",)),), kinds=frozenset({"service_request"}))
    assert frozenset() == run_rules(desk_with(rule), None, incident(), T0).tags


def test_an_action_with_nothing_to_change_records_nothing() -> None:
    """
    Setting what the ticket already has records no event (so it triggers nothing); the
    rule is still recorded as fired.
    """
    rule = Rule("p2", OPENED, (SetPriority(Priority.P2), RemoveTags(("x",))))
    ticket = run_rules(desk_with(rule), None, incident(priority="P2"), T0)
    assert 2 == ticket.version
    assert ("set_priority: nothing to change", "remove_tags: nothing to change") == (
        fired(ticket)[0].actions
    )


def test_an_action_that_cannot_apply_is_skipped_and_says_why() -> None:
    """
    A trigger the state does not allow is skipped and listed in RuleFired.actions; the
    rule's other actions still apply and it counts as fired.
    """
    rule = Rule("r", OPENED, (FireTrigger("reopen"), AddTags(("t",))))
    ticket = run_rules(desk_with(rule), None, incident(), T0)
    (done,) = fired(ticket)
    assert done.actions[0].startswith("skipped fire reopen: cannot reopen ticket T-1")
    assert {"t"} == ticket.tags


def test_priority_set_by_a_rule_names_the_rule() -> None:
    """
    SetPriority records a PriorityChanged with the previous priority and the rule as reason.
    """
    rule = Rule("vip", OPENED, (SetPriority(Priority.P1),))
    ticket = run_rules(desk_with(rule), None, incident(priority="P3"), T0)
    (change,) = [e for e in ticket.history if isinstance(e, PriorityChanged)]
    assert (Priority.P1, Priority.P3, "rule vip") == (
        change.priority,
        change.previous,
        change.reason,
    )
    assert "priority set P3 -> P1 (rule vip)" == change.describe()


PING = Rule(
    "ping", TAGS, (RemoveTags(("x",)), AddTags(("y",))), condition=Field("tags", "contains", "x")
)
PONG = Rule(
    "pong", TAGS, (RemoveTags(("y",)), AddTags(("x",))), condition=Field("tags", "contains", "y")
)
START = Rule("start", REPLY, (AddTags(("x",)),))


def test_rules_that_undo_each_other_are_refused_with_the_chain() -> None:
    """
    Two rules that undo each other run until the cascade bound, then the command is
    refused: the error names the chain of rules from the command's own change.
    """
    desk = desk_with(START, PING, PONG, max_cascade=4)
    ticket = working()
    said = ticket.record(CommentAdded(at=T0, actor="lee", body="on it"))
    with pytest.raises(RuleCascadeError) as caught:
        run_rules(desk, ticket, said, T0)
    chain = caught.value.chain
    assert "start" == chain[0]
    assert set(chain[1:]) <= {"ping", "pong"}
    assert 4 + 1 == len(chain)  # the bound, and the firing that went past it
    assert " -> ".join(chain) in str(caught.value)


def test_a_refused_cascade_stores_nothing() -> None:
    """
    Through the help desk a refused cascade leaves the stored ticket and the outbox as they
    were.
    """
    rig = helpdesk(desk_with(START, PING, PONG))
    view = rig.desk.open(ANN, title="VPN down")
    rig.desk.assign(LEE, view.id, group="service-desk", assignee="lee")
    stored, outbox = rig.repo.get(view.id), rig.repo.pending_notifications(100)
    with pytest.raises(RuleCascadeError):
        rig.desk.comment(LEE, view.id, body="on it")
    assert stored == rig.repo.get(view.id)
    assert outbox == rig.repo.pending_notifications(100)


def test_cascades_within_the_bound_are_saved_with_the_command() -> None:
    """
    Rules triggered by rules' changes run in the same decision, one level deeper each: a
    new tag event is a new episode, where the rule fires again with nothing left to change.
    """
    chain = Rule("then", TAGS, (AddTags(("b",)),), condition=Field("tags", "contains", "a"))
    rig = helpdesk(desk_with(Rule("first", OPENED, (AddTags(("a",)),)), chain))
    view = rig.desk.open(ANN, title="VPN down")
    stored = rig.repo.get(view.id)
    assert {"a", "b"} == stored.tags
    assert [1, 2, 3] == [f.depth for f in fired(stored)]
    assert ("add_tags: nothing to change",) == fired(stored)[-1].actions


def test_route_asks_the_routing_policy_among_the_directory_candidates() -> None:
    """
    Route gives the ticket to the agent the desk's routing policy selects among the people
    directory's candidates of the group; with no candidate it is skipped.
    """
    people = People(groups={"network": [Candidate("kim", groups={"network"}, capacity=3)]})
    rules = RuleSet((Rule("route", OPENED, (Route("network"),)),))
    desk = Desk(rules=rules, routing=LeastLoaded(), people=people)
    ticket = run_rules(desk, None, incident(), T0)
    assert ("network", "kim") == (ticket.group, ticket.assignee)
    (change,) = [e for e in ticket.history if isinstance(e, StateChanged)]
    assert str(change.reason).startswith("rule route")
    nobody = attrs.evolve(desk, people=People())
    done = fired(run_rules(nobody, None, incident(), T0))[0]
    assert done.actions[0].startswith("skipped route:")


def test_a_final_ticket_is_not_changed_by_rules() -> None:
    """
    Rules on a closed ticket may notify but change nothing.
    """
    rule = Rule("closed", frozenset({RuleTrigger.STATE_CHANGED}), (AddTags(("t",)),))
    resolved = INCIDENT.fire(working(), Trigger.RESOLVE, actor=LEE, at=T0, resolution="done")
    closed = INCIDENT.fire(resolved, Trigger.CLOSE, actor=SAM, at=T0 + H)
    ticket = run_rules(desk_with(rule), resolved, closed, T0 + H)
    assert frozenset() == ticket.tags
    assert "which is final" in fired(ticket)[0].actions[0]


def test_a_desk_without_rules_changes_nothing() -> None:
    """
    With no rules the ticket comes back as it is, whatever its new events.
    """
    assert working() == run_rules(Desk(), incident(), working(), T0)
