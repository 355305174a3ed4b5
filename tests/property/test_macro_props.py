"""
Random macros over random tickets and actors are all or nothing: a refused macro leaves the
store, the outbox and the notifier as they were; an applied one is one save whose events are
those of its steps run one by one as ordinary commands.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from types import SimpleNamespace

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from builders import ADA, ANN, KIM, LEE, SAM, T0, ZOE
from deskflow import DeskflowError, HelpDesk
from deskflow._internal.macro_checks import STEPS, TEXT, macro_problems
from deskflow.actors import Actor
from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
from deskflow.desk import Desk
from deskflow.events import NotificationQueued
from deskflow.fields import CustomField
from deskflow.macros import Macro, MacroStep
from deskflow.ports import TicketWrite
from deskflow.texts import render_text
from deskflow.ticket import Ticket

ACTORS = [ANN, ZOE, LEE, KIM, SAM, ADA]
TEXTS = {"hello": "Hello $requester, $id is $state (priority: $priority)."}
FIELDS = {"contract": CustomField("contract", "choice", options=("gold", "silver"))}
#: The ways a ticket is set up before a macro runs, by a supervisor; refused ones are skipped.
SETUP = {
    "assign": lambda d, t: d.assign(SAM, t, group="service-desk", assignee="lee"),
    "start": lambda d, t: d.start(SAM, t),
    "request_info": lambda d, t: d.request_info(SAM, t, question="Which version?"),
    "hold": lambda d, t: d.hold(SAM, t, reason="vendor"),
    "resume": lambda d, t: d.resume(SAM, t),
    "escalate": lambda d, t: d.escalate(SAM, t, reason="tier 2", group="network"),
    "resolve": lambda d, t: d.resolve(SAM, t, resolution="Fixed"),
    "cancel": lambda d, t: d.cancel(SAM, t, reason="duplicate"),
}

_free_text = st.sampled_from(["Done", "On it", "Which version?"])


def _body(name: str) -> st.SearchStrategy[dict[str, object]]:
    # A free text, or the desk's text instead.
    return st.one_of(st.fixed_dictionaries({name: _free_text}), st.just({TEXT: "hello"}))


OPTIONS: dict[str, st.SearchStrategy[dict[str, object]]] = {
    "classify": st.fixed_dictionaries(
        {"category": st.sampled_from(["access", "network"])},
        optional={"impact": st.sampled_from(["high", "low"]), "urgency": st.just("high")},
    ),
    "assign": st.fixed_dictionaries(
        {"group": st.sampled_from(["service-desk", "network"])},
        optional={"assignee": st.sampled_from(["lee", "kim"])},
    ),
    "start": st.just({}),
    "comment": st.tuples(_body("body"), st.booleans()).map(
        lambda pair: {**pair[0], "internal": pair[1]}
    ),
    "request_info": _body("question"),
    "hold": st.fixed_dictionaries({"reason": st.sampled_from(["vendor", "lunch"])}),
    "resume": st.just({}),
    "escalate": st.fixed_dictionaries(
        {"reason": st.just("tier 2")}, optional={"group": st.just("network")}
    ),
    "resolve": _body("resolution"),
    "cancel": st.fixed_dictionaries({"reason": st.just("duplicate")}),
    "set_fields": st.fixed_dictionaries(
        {"values": st.dictionaries(st.just("contract"), st.sampled_from(["gold", "bronze"]))}
    ),
    "tag": st.fixed_dictionaries(
        {}, optional={"add": st.just(["vip"]), "remove": st.just(["vip"])}
    ),
    "override_priority": st.fixed_dictionaries(
        {"priority": st.sampled_from(["P1", "P4"]), "reason": st.just("VIP")}
    ),
}
STEP = st.sampled_from(sorted(OPTIONS)).flatmap(
    lambda command: OPTIONS[command].map(lambda options: MacroStep(command, options))
)


class CountingRepository(InMemoryTicketRepository):
    """
    The in-memory repository, counting its writes.
    """

    def __init__(self) -> None:
        super().__init__()
        self.saves = 0

    def save_all(self, writes: Sequence[TicketWrite]) -> None:
        """
        Count the write, then write.
        """
        self.saves += 1
        super().save_all(writes)


def _rig(
    desk: Desk, kind: str, setup: list[str]
) -> tuple[HelpDesk, CountingRepository, InMemoryNotifier, str]:
    # A help desk with Ann's ticket set up as ``setup`` says, and its outbox delivered.
    repo, notifier = CountingRepository(), InMemoryNotifier()
    service = HelpDesk(repo, notifier, ManualClock(T0), desk)
    ticket_id = service.open(ANN, title="Printer on fire", kind=kind).id
    for name in setup:
        with contextlib.suppress(DeskflowError):
            SETUP[name](service, ticket_id)
    service.deliver_pending()
    return service, repo, notifier, ticket_id


def _one_by_one(
    service: HelpDesk, actor: Actor, ticket_id: str, steps: Sequence[MacroStep]
) -> None:
    # Each step as the command a host would call, its text filled from the stored ticket.
    for step in steps:
        options = dict(step.options)
        body = STEPS[step.command].text_for
        if body is not None and TEXT in options:
            ticket = service.repository.get(ticket_id)
            options[body] = render_text(TEXTS[str(options.pop(TEXT))], ticket, FIELDS)
        getattr(service, step.command)(actor, ticket_id, **options)


def _domain_events(ticket: Ticket) -> list[object]:
    # What the steps recorded; the notifications they queue depend on how the changes are
    # grouped into saves.
    return [e for e in ticket.history if not isinstance(e, NotificationQueued)]


@pytest.mark.slow
@given(
    steps=st.lists(STEP, min_size=1, max_size=4),
    kind=st.sampled_from(["incident", "service_request"]),
    setup=st.lists(st.sampled_from(sorted(SETUP)), max_size=4),
    # Mostly staff who may do most steps; anyone at times.
    actor=st.sampled_from([SAM, ADA, LEE]) | st.sampled_from(ACTORS),
)
def test_a_macro_is_all_or_nothing_and_equals_its_steps_one_by_one(
    steps: list[MacroStep], kind: str, setup: list[str], actor: Actor
) -> None:
    """
    Refused: nothing stored, nothing sent, and the same step refuses the same way when run
    as commands. Applied: one save (none if nothing changed), and the events of the steps
    run one by one.
    """
    macros = {"m": Macro("m", tuple(steps))}
    checked = SimpleNamespace(macros=macros, texts=TEXTS, workflows=Desk().workflows)
    assume([] == macro_problems(checked))  # a desk with it could not be built otherwise
    desk = Desk(macros=macros, texts=TEXTS, fields=FIELDS)
    macro_rig, repo, notifier, ticket_id = _rig(desk, kind, setup)
    steps_rig, _, _, _ = _rig(desk, kind, setup)
    before = (repo.get(ticket_id), repo.pending_notifications(100), notifier.sent)
    saves = repo.saves
    refused: DeskflowError | None = None
    try:
        macro_rig.apply_macro(actor, ticket_id, "m")
    except DeskflowError as error:
        refused = error
    alone: DeskflowError | None = None
    try:
        _one_by_one(steps_rig, actor, ticket_id, steps)
    except DeskflowError as error:
        alone = error
    event("refused" if refused else "applied")
    if refused is not None:
        assert before == (
            repo.get(ticket_id),
            repo.pending_notifications(100),
            notifier.sent,
        )
        assert saves == repo.saves
        assert type(alone) is type(refused)
        if str(refused).startswith("macro 'm', step "):  # not refused when loaded
            assert str(refused).endswith(f"): {alone}")
    else:
        assert alone is None
        applied, stepped = repo.get(ticket_id), steps_rig.repository.get(ticket_id)
        changed = applied.version > before[0].version  # removing an absent tag changes nothing
        assert saves + changed == repo.saves
        assert _domain_events(stepped) == _domain_events(applied)
        assert (stepped.state, stepped.priority) == (applied.state, applied.priority)
        assert (stepped.fields, stepped.tags) == (applied.fields, applied.tags)
