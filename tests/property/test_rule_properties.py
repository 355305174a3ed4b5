"""
Properties of the automation engine over random rule sets (conditions and actions from a
small vocabulary, with pairs that undo each other) and random commands: it ends within the
cascade bound or refuses with the chain, never fires a rule twice for one event, decides
nothing new when run again or on a replay, gives the same ticket for independent rules in
any order, and a refused command stores nothing.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from builders import ANN, LEE, T0, helpdesk, incident
from deskflow import Ticket
from deskflow.automation import run_rules
from deskflow.codec import event_from_dict, event_to_dict
from deskflow.desk import Desk
from deskflow.enums import FieldType, HitPolicy, Priority, RuleTrigger
from deskflow.events import CommentAdded, PriorityChanged, RuleFired, TagsChanged
from deskflow.exceptions import RuleCascadeError
from deskflow.fields import CustomField
from deskflow.rules import (
    Action,
    AddTags,
    Condition,
    Field,
    Not,
    Notify,
    RemoveTags,
    Rule,
    RuleSet,
    SetFields,
    SetPriority,
    Stop,
    Triggered,
)
from deskflow.service import HelpDesk

T = RuleTrigger
TAGS = ("a", "b", "c")
PRIORITIES = (Priority.P1, Priority.P2, Priority.P3)
LEVEL = {"level": CustomField("level", FieldType.INTEGER)}
WATCHED = (
    T.OPENED,
    T.TAGS_CHANGED,
    T.PRIORITY_CHANGED,
    T.FIELDS_CHANGED,
    T.AGENT_REPLY,
    T.INTERNAL_NOTE,
)

leaves: st.SearchStrategy[Condition] = st.one_of(
    st.sampled_from(TAGS).map(lambda t: Field("tags", "contains", t)),
    st.sampled_from(TAGS).map(lambda t: Not(Field("tags", "contains", t))),
    st.sampled_from(PRIORITIES).map(lambda p: Field("priority", "eq", p)),
    st.integers(1, 3).map(lambda n: Field("fields.level", "eq", n)),
    st.sampled_from(WATCHED).map(lambda t: Triggered(frozenset({t}))),
)
actions: st.SearchStrategy[Action] = st.one_of(
    st.sampled_from(TAGS).map(lambda t: AddTags((t,))),
    st.sampled_from(TAGS).map(lambda t: RemoveTags((t,))),
    st.sampled_from(PRIORITIES).map(SetPriority),
    st.integers(1, 3).map(lambda n: SetFields({"level": n})),
    st.just(Notify("notice", ("@requester",))),
    st.just(Stop()),
)


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    """
    Up to six rules on random triggers, conditions and actions, with a small bound.
    """
    rules = []
    for n in range(draw(st.integers(1, 6))):
        when = draw(st.frozensets(st.sampled_from(WATCHED), min_size=1, max_size=3))
        condition = draw(st.none() | leaves)
        done = tuple(draw(st.lists(actions, min_size=1, max_size=3)))
        rules.append(Rule(f"r{n}", when, done, condition=condition))
    policy = draw(st.sampled_from(HitPolicy))
    return RuleSet(tuple(rules), hit_policy=policy, max_cascade=draw(st.integers(1, 6)))


#: A command, as the event it records: a reply, a note, a tag, a priority.
commands = st.lists(
    st.one_of(
        st.just(("reply", "")),
        st.just(("note", "")),
        st.sampled_from(TAGS).map(lambda t: ("tag", t)),
        st.sampled_from(PRIORITIES).map(lambda p: ("priority", p.value)),
    ),
    max_size=4,
)


def command(ticket: Ticket, what: tuple[str, str], minute: int) -> Ticket:
    """
    ``ticket`` after one command of Lee's at ``minute``.
    """
    at = T0 + timedelta(minutes=minute)
    kind, value = what
    if kind in ("reply", "note"):
        internal = "internal" if kind == "note" else "public"
        return ticket.record(CommentAdded(at=at, actor="lee", body="hi", visibility=internal))
    if kind == "tag":
        return ticket.record(TagsChanged(at=at, actor="lee", added=(value,)))
    return ticket.record(
        PriorityChanged(at=at, actor="lee", priority=value, previous=ticket.priority, manual=True)
    )


def checked(desk: Desk, before: Ticket | None, after: Ticket, minute: int) -> Ticket | None:
    """
    The rules' result, checked: unique keys within the bound and nothing new on a second
    run; None when refused (with a chain of the rule set's rules within the bound).
    """
    now = T0 + timedelta(minutes=minute)
    bound, names = desk.rules.max_cascade, {r.name for r in desk.rules.rules}
    try:
        result = run_rules(desk, before, after, now)
    except RuleCascadeError as refused:
        assert 1 <= len(refused.chain) <= bound + 1
        assert set(refused.chain) <= names
        return None
    fired = [e for e in result.history if isinstance(e, RuleFired)]
    keys = [f.dedup_key for f in fired]
    assert len(set(keys)) == len(keys)  # no rule fires twice for one event
    assert all(1 <= f.depth <= bound for f in fired)
    assert result == run_rules(desk, before, result, now)  # idempotent
    return result


@given(rule_sets(), commands)
def test_random_rules_end_or_refuse_and_decide_nothing_twice(
    rules: RuleSet, steps: list[tuple[str, str]]
) -> None:
    """
    Over a ticket's commands, rules end within the bound or refuse with the chain; each
    result is a fixed point; and the stored history, read back, decides nothing new when
    each command's rules run over it again.
    """
    desk = Desk(fields=LEVEL, rules=rules)
    ticket = checked(desk, None, incident(priority="P3"), 0)
    if ticket is None:
        return
    spans = [(0, ticket.version)]
    for minute, step in enumerate(steps, start=1):
        result = checked(desk, ticket, command(ticket, step, minute), minute)
        if result is not None:
            spans.append((ticket.version, result.version))
            ticket = result
    stored = [event_from_dict(event_to_dict(e)) for e in ticket.history]
    later = T0 + timedelta(hours=1)
    for start, end in spans:
        before = Ticket.replay(stored[:start]) if start else None
        after = Ticket.replay(stored[:end])
        assert after == run_rules(desk, before, after, later)


@st.composite
def independent(draw: st.DrawFn) -> list[Rule]:
    """
    Rules that each set their own tag or field, on conditions no rule changes.
    """
    rules = []
    for n in range(draw(st.integers(2, 5))):
        when = draw(st.frozensets(st.sampled_from(WATCHED), min_size=1, max_size=3))
        condition = draw(
            st.none()
            | st.sampled_from(PRIORITIES).map(lambda p: Field("priority", "eq", p))
            | st.sampled_from(WATCHED).map(lambda t: Triggered(frozenset({t})))
        )
        value = draw(st.none() | st.integers(1, 3))
        action = AddTags((f"own{n}",)) if value is None else SetFields({f"f{n}": value})
        rules.append(Rule(f"r{n}", when, (action,), condition=condition))
    return rules


@given(independent(), st.randoms(use_true_random=False), commands)
def test_independent_rules_give_the_same_ticket_in_any_order(
    rules: list[Rule], rng: object, steps: list[tuple[str, str]]
) -> None:
    """
    Rules that touch disjoint tags and fields leave the same tags and fields whatever
    their order.
    """
    fields = {f"f{n}": CustomField(f"f{n}", FieldType.INTEGER) for n in range(len(rules))}
    shuffled = list(rules)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    outcomes = []
    for order in (rules, shuffled):
        desk = Desk(fields=fields, rules=RuleSet(tuple(order)))
        ticket = run_rules(desk, None, incident(priority="P2"), T0)
        for minute, step in enumerate(steps, start=1):
            ticket = run_rules(desk, ticket, command(ticket, step, minute), T0)
        outcomes.append((ticket.tags, ticket.fields, ticket.priority))
    assert outcomes[0] == outcomes[1]


#: Two rules that undo each other, started by the reply: always refused.
LOOP = RuleSet(
    (
        Rule("start", frozenset({T.AGENT_REPLY}), (AddTags(("a",)),)),
        Rule("ping", frozenset({T.TAGS_CHANGED}), (RemoveTags(("a",)), AddTags(("b",)))),
        Rule("pong", frozenset({T.TAGS_CHANGED}), (RemoveTags(("b",)), AddTags(("a",)))),
    )
)


@given(rule_sets())
@example(LOOP)
def test_a_refused_cascade_stores_nothing(rules: RuleSet) -> None:
    """
    Through the help desk on the memory store: a command the rules refuse leaves the
    stored ticket and the outbox as they were.
    """
    rig = helpdesk(Desk(fields=LEVEL))
    view = rig.desk.open(ANN, title="VPN down")
    rig.desk.assign(LEE, view.id, group="service-desk", assignee="lee")
    ruled = HelpDesk(rig.repo, rig.notifier, rig.clock, Desk(fields=LEVEL, rules=rules))
    stored, outbox = rig.repo.get(view.id), rig.repo.pending_notifications(1000)
    try:
        ruled.comment(LEE, view.id, body="on it")
    except RuleCascadeError:
        assert stored == rig.repo.get(view.id)
        assert outbox == rig.repo.pending_notifications(1000)
    else:
        assert rig.repo.get(view.id).version > stored.version
