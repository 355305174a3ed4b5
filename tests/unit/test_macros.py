"""
Macros: the checks a desk's macros pass when built, the decision that applies one step by
step, and HelpDesk.apply_macro saving it as one change or nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from types import SimpleNamespace

import pytest

from builders import ANN, LEE, SAM, T0, Rig, helpdesk, incident, working
from deskflow import INCIDENT, SERVICE_REQUEST, commands
from deskflow._internal.macro_checks import STEPS, macro_problems, step_permission
from deskflow.actors import SYSTEM, Actor
from deskflow.adapters import InMemoryKnowledgeBase, InMemoryTicketRepository
from deskflow.authorization import Permission
from deskflow.desk import Desk
from deskflow.enums import Role, TicketKind
from deskflow.events import Classified, CommentAdded, NotificationQueued, StateChanged
from deskflow.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from deskflow.fields import CustomField, FieldsChanged, TagsChanged
from deskflow.macros import MACRO_COMMANDS, Macro, MacroStep
from deskflow.ports import TicketWrite
from deskflow.ticket import Ticket

DONE = "Hello $requester, the password for $id is reset (category: $category)."
RESET = Macro(
    "password_reset",
    (
        MacroStep("comment", {"text": "reset_done"}),
        MacroStep("classify", {"category": "access"}),
        MacroStep("resolve", {"text": "reset_done"}),
    ),
    description="Reset a password and resolve",
)


def step(command: str, **options: object) -> MacroStep:
    """
    A macro step of ``command`` with ``options``.
    """
    return MacroStep(command, options)


def macro(name: str, *steps: MacroStep) -> Macro:
    """
    A macro named ``name`` of ``steps``.
    """
    return Macro(name, steps)


def desk_with(*macros: Macro) -> Desk:
    """
    The default desk with ``macros`` and the ``reset_done`` text; the macros are sound (the
    desk's validator would refuse them otherwise).
    """
    desk = Desk(macros={m.name: m for m in macros}, texts={"reset_done": DONE})
    assert [] == macro_problems(desk)
    return desk


def problems_of(*macros: Macro, **options: object) -> list[tuple[tuple[str | int, ...], str]]:
    """
    macro_problems of a desk-like value holding ``macros`` (a desk that could not be built
    with them once the desk's validator runs the same checks).
    """
    fields = {"texts": {"reset_done": DONE}, "workflows": Desk().workflows, **options}
    return macro_problems(SimpleNamespace(macros={m.name: m for m in macros}, **fields))


# -- the checks ------------------------------------------------------------------------------


def test_a_sound_desk_built_in_python_has_no_macro_problems() -> None:
    """
    The password-reset macro on a Desk built in Python passes every check.
    """
    assert [] == macro_problems(desk_with(RESET, macro("triage", step("assign", group="net"))))


def test_an_unknown_command_is_named_with_a_suggestion() -> None:
    """
    A misspelt command names its step and suggests the command meant.
    """
    [(path, message)] = problems_of(macro("m", step("classify"), step("resovle", text="x")))
    assert ("macros", "m", "steps", 1, "command") == path
    assert message.startswith("unknown command `resovle` (did you mean `resolve`?)")


def test_an_option_the_command_does_not_take_is_named_with_a_suggestion() -> None:
    """
    An option that is not one of the command's keywords names its path and the options.
    """
    [(path, message)] = problems_of(macro("m", step("hold", reason="vendor", nots="x")))
    assert ("macros", "m", "steps", 0, "nots") == path
    assert "`hold` takes no option `nots` (did you mean `note`?); it takes `note`, `reason`" == (
        message
    )


def test_routing_candidates_are_not_a_macro_option() -> None:
    """
    A step cannot carry routing candidates: they come from the host when it assigns.
    """
    [(path, _)] = problems_of(macro("m", step("assign", group="net", candidates=[])))
    assert ("macros", "m", "steps", 0, "candidates") == path


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (step("hold"), "`hold` needs `reason`"),
        (step("comment", internal=True), "`comment` needs `body` or `text`"),
        (step("assign"), "`assign` needs `assignee` or `group`"),
        (step("override_priority", priority="P1"), "`override_priority` needs `reason`"),
        (step("tag"), "`tag` needs `add` or `remove`"),
        (
            step("resolve", resolution="Fixed", text="reset_done"),
            "give `resolution` or `text` (the name of a desk text), not both",
        ),
    ],
)
def test_a_missing_or_doubled_option_names_the_step(bad: MacroStep, message: str) -> None:
    """
    A required option that is missing, or a free text given twice, names the step.
    """
    assert [(("macros", "m", "steps", 0), message)] == problems_of(macro("m", bad))


def test_an_unknown_text_is_named_with_a_suggestion() -> None:
    """
    A ``text`` that is not one of the desk's texts names its path and the texts.
    """
    [(path, message)] = problems_of(macro("m", step("comment", text="reset_dne")))
    assert ("macros", "m", "steps", 0, "text") == path
    expected = (
        "unknown text `reset_dne` (did you mean `reset_done`?); the desk's texts: `reset_done`"
    )
    assert expected == message
    [(_, message)] = problems_of(macro("m", step("comment", text=3)))
    assert "`text` names a desk text, got 3" == message


def test_a_step_no_workflow_allows_after_the_previous_ones_is_named() -> None:
    """
    Resolve then start: no workflow starts a resolved (or fulfilled) ticket.
    """
    [(path, message)] = problems_of(macro("m", step("resolve", resolution="Fixed"), step("start")))
    assert ("macros", "m", "steps", 1, "command") == path
    assert (
        "`start` can never run after the steps before it: "
        "incident tickets are then resolved, and start runs only from `assigned`; "
        "service_request tickets are then fulfilled, and start runs only from `assigned`"
    ) == message


def test_a_step_after_one_that_ends_the_ticket_is_named() -> None:
    """
    Nothing runs after a cancel: the ticket is final.
    """
    [(path, message)] = problems_of(
        macro("m", step("cancel", reason="duplicate"), step("comment", body="Closed as a dup"))
    )
    assert ("macros", "m", "steps", 1, "command") == path
    assert "incident tickets are then final; service_request tickets are then final" in message


def test_a_state_path_follows_every_state_a_step_can_lead_to() -> None:
    """
    Steps that each lead somewhere a next step can leave are sound, even a long path.
    """
    path = macro(
        "m",
        step("assign", group="service-desk", assignee="lee"),
        step("start"),
        step("request_info", question="Which version?"),
        step("resume"),
        step("hold", reason="vendor"),
        step("resume"),
        step("escalate", reason="needs network", group="network"),
        step("resolve", text="reset_done"),
        step("comment", body="Thanks!"),
    )
    assert [] == problems_of(path)


def test_a_step_one_workflow_allows_is_sound_and_one_none_allows_is_not() -> None:
    """
    Service requests never escalate; a desk with incidents may still escalate in a macro.
    """
    escalating = macro("m", step("escalate", reason="tier 2"))
    assert [] == problems_of(escalating)
    only_requests = {TicketKind.SERVICE_REQUEST: SERVICE_REQUEST}
    [(path, message)] = problems_of(escalating, workflows=only_requests)
    assert ("macros", "m", "steps", 0, "command") == path
    assert message.startswith("`escalate` can never run in any state: ")
    assert "escalate runs only from no state: the workflow has no such trigger" in message


def test_the_shape_of_the_macros_is_checked() -> None:
    """
    A macro under another name, with no steps, not a Macro, or with a step that is not a
    MacroStep, whose command is not a name or whose options are not a mapping, is named.
    """
    desk = SimpleNamespace(
        macros={
            "a": macro("b", step("start")),
            "empty": macro("empty"),
            "odd": "start",
            "bad_step": Macro("bad_step", ("start",)),  # type: ignore[arg-type]
        },
        texts={},
        workflows={TicketKind.INCIDENT: INCIDENT},
    )
    assert [
        (("macros", "a", "name"), "the macro under `a` is named `b`"),
        (("macros", "empty", "steps"), "a macro needs at least one step"),
        (("macros", "odd"), "expected a Macro, got str"),
        (("macros", "bad_step", "steps", 0), "a macro step must be a MacroStep, got str"),
    ] == macro_problems(desk)
    odd_steps = macro("m", MacroStep(3, {}), MacroStep("start", [("a", 1)]))  # type: ignore[arg-type]
    (first, unknown), (second, not_mapping) = problems_of(odd_steps)
    assert ("macros", "m", "steps", 0, "command") == first
    assert unknown.startswith("unknown command `3`; a macro step runs one of `assign`")
    assert ("macros", "m", "steps", 1) == second
    assert "the options of a step must be a mapping, got [('a', 1)]" == not_mapping
    assert [(("macros",), "macros must map names to Macro objects, got []")] == macro_problems(
        SimpleNamespace(macros=[])
    )


def test_the_step_table_matches_the_decisions_it_runs() -> None:
    """
    Every macro command has a spec whose options are its decision's keywords (and text),
    and whose required options are the keywords without a default.
    """
    assert MACRO_COMMANDS == set(STEPS)
    for command, spec in STEPS.items():
        decision = getattr(commands, "set_priority" if command == "override_priority" else command)
        parameters = inspect.signature(decision).parameters
        keywords = {n for n, p in parameters.items() if p.kind is p.KEYWORD_ONLY}
        assert spec.options - {"text"} <= keywords, command
        without_default = {n for n in keywords if parameters[n].default is inspect.Parameter.empty}
        assert without_default == {o for group in spec.required for o in group} - {
            "text",
            "group",
            "assignee",
            "add",
            "remove",
        }, command


def test_internal_is_true_or_false() -> None:
    """
    ``internal`` decides the permission a comment needs, so it must be a boolean.
    """
    [(path, message)] = problems_of(macro("m", step("comment", body="x", internal="yes")))
    assert ("macros", "m", "steps", 0, "internal") == path
    assert "`internal` is true or false, got 'yes'" == message


def test_an_internal_comment_needs_the_internal_note_permission() -> None:
    """
    A comment step's permission follows its ``internal`` option.
    """
    assert Permission.COMMENT_INTERNAL == step_permission(step("comment", body="x", internal=True))
    assert Permission.COMMENT_PUBLIC == step_permission(step("comment", body="x"))
    assert Permission.OVERRIDE_PRIORITY == step_permission(step("override_priority"))


# -- the decision ----------------------------------------------------------------------------


def assigned(ticket_id: str = "T-1") -> Ticket:
    """
    Ann's new incident, assigned to Lee in the service desk.
    """
    return commands.assign(
        incident(ticket_id), LEE, Desk(), T0, group="service-desk", assignee="lee"
    )


def test_the_decision_runs_the_steps_in_order_with_texts_filled_at_each_step() -> None:
    """
    Each step is its command's decision; a text is filled from the ticket as the steps
    before it left it (the category is set between the reply and the resolution).
    """
    ticket = assigned()
    after = commands.apply_macro(ticket, LEE, desk_with(RESET), T0, macro="password_reset")
    new = after.history[ticket.version :]
    assert [CommentAdded, Classified, StateChanged] == [type(e) for e in new]
    first = new[0]
    assert isinstance(first, CommentAdded)
    assert "Hello ann, the password for T-1 is reset (category: )." == first.body
    expected = "Hello ann, the password for T-1 is reset (category: access)."
    assert ("resolved", "access", expected) == (after.state, after.category, after.resolution)


def test_an_unknown_macro_suggests_the_one_meant() -> None:
    """
    A misspelt macro name is InvalidInput naming the desk's macros.
    """
    with pytest.raises(InvalidInput, match=r"unknown macro 'pasword_reset' \(did you mean "):
        commands.apply_macro(assigned(), LEE, desk_with(RESET), T0, macro="pasword_reset")
    with pytest.raises(InvalidInput, match="this desk's macros: none"):
        commands.apply_macro(assigned(), LEE, Desk(), T0, macro="x")


def test_a_step_the_workflow_refuses_keeps_its_error_and_names_the_step() -> None:
    """
    Start on a new, unassigned ticket: the workflow's InvalidTransition, its message naming
    the macro and the step.
    """
    m = macro("take", step("comment", body="On it"), step("start"))
    with pytest.raises(InvalidTransition) as caught:
        commands.apply_macro(incident(), LEE, desk_with(m), T0, macro="take")
    assert "start" == caught.value.trigger
    assert str(caught.value).startswith("macro 'take', step 2 (start): cannot start ticket T-1")


def test_each_step_is_authorized_on_the_ticket_the_steps_before_left() -> None:
    """
    Lee may assign a ticket to the network group, but not then start work on it; Sam, the
    supervisor of both groups, may.
    """
    m = macro("pass_on", step("assign", group="network", assignee="kim"), step("start"))
    with pytest.raises(PermissionDenied, match=r"^macro 'pass_on', step 2 \(start\): agents may"):
        commands.apply_macro(assigned(), LEE, desk_with(m), T0, macro="pass_on")
    moved = commands.apply_macro(assigned(), SAM, desk_with(m), T0, macro="pass_on")
    assert ("in_progress", "kim") == (moved.state, moved.assignee)


def test_a_final_ticket_refuses_the_macro() -> None:
    """
    A cancelled ticket refuses the first step, as any command on it.
    """
    m = macro("note", step("comment", body="Noted", internal=True))
    cancelled = commands.cancel(incident(), LEE, Desk(), T0, reason="duplicate")
    with pytest.raises(InvalidTransition, match="is cancelled, which is final: it cannot comment"):
        commands.apply_macro(cancelled, LEE, desk_with(m), T0, macro="note")


def test_the_rules_apply_a_macro_as_the_system_without_authorization() -> None:
    """
    authorize=False is for the desk's rules: the system resolves, which no permission gives.
    """
    desk = desk_with(RESET)
    with pytest.raises(PermissionDenied):
        commands.apply_macro(assigned(), SYSTEM, desk, T0, macro="password_reset")
    after = commands.apply_macro(
        assigned(), SYSTEM, desk, T0, macro="password_reset", authorize=False
    )
    assert "resolved" == after.state


def test_a_step_broken_after_the_desk_was_built_is_refused_before_any_step() -> None:
    """
    A step's options changed after the desk was checked are checked again when it runs.
    """
    options: dict[str, object] = {"body": "x"}
    m = macro("m", step("start"), MacroStep("comment", options))
    desk = desk_with(m)
    options["colour"] = "red"
    with pytest.raises(InvalidInput, match="macro 'm' cannot run: step 2: `comment` takes no"):
        commands.apply_macro(working(), LEE, desk, T0, macro="m")


# -- through HelpDesk ------------------------------------------------------------------------


class CountingRepository(InMemoryTicketRepository):
    """
    The in-memory repository, recording the tickets of each save_all.
    """

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[list[str]] = []

    def save_all(self, writes: Sequence[TicketWrite]) -> None:
        """
        Record the write, then write.
        """
        self.writes.append([w.ticket.id for w in writes])
        super().save_all(writes)


def test_a_macro_through_helpdesk_is_one_save_with_its_events_in_order() -> None:
    """
    One save_all; the version grows by the steps' events (and the notifications they
    queue), in the steps' order.
    """
    rig = helpdesk(desk_with(RESET))
    ticket = rig.desk.open(ANN, title="Forgot my password")
    rig.desk.assign(LEE, ticket.id, group="service-desk", assignee="lee")
    counting = CountingRepository()
    before = rig.repo.get(ticket.id)
    counting.save_all([TicketWrite(before, None)])
    counting.writes.clear()
    service = type(rig.desk)(counting, rig.notifier, rig.clock, desk_with(RESET))
    view = service.apply_macro(LEE, ticket.id, "password_reset")
    assert [[ticket.id]] == counting.writes
    stored = counting.get(ticket.id)
    new = stored.history[before.version :]
    assert stored.version == before.version + len(new)
    steps = [type(e) for e in new if not isinstance(e, NotificationQueued)]
    assert [CommentAdded, Classified, StateChanged] == steps
    assert ("resolved", "access") == (view.state, view.category)


def stored_state(rig: Rig) -> tuple[object, ...]:
    """
    Everything a refused command must leave as it was: the tickets, the outbox and the
    notifier's deliveries.
    """
    outbox = tuple(rig.repo.pending_notifications(100))
    return rig.repo.get("INC-1"), outbox, tuple(rig.notifier.sent)


@pytest.mark.parametrize(
    ("actor", "steps", "error"),
    [
        (ANN, RESET.steps, PermissionDenied),  # a requester may reply, not classify
        (LEE, (step("comment", body="Raising it"), step("override_priority", priority="P1",
                                                          reason="VIP")), PermissionDenied),
        (LEE, (step("classify", category="access"), step("resume")),
         InvalidTransition),
        (SAM, (step("classify", category="access"), step("hold", reason="lunch")),
         InvalidTransition),
    ],
)  # fmt: skip
def test_a_refused_step_stores_nothing_and_sends_nothing(
    actor: Actor, steps: tuple[MacroStep, ...], error: type[Exception]
) -> None:
    """
    A step the actor may not do, or one the workflow refuses, refuses the whole macro:
    the ticket, the outbox and the notifier are as they were.
    """
    rig = helpdesk(desk_with(macro("m", *steps)), deliver="inline")
    ticket = rig.desk.open(ANN, title="Forgot my password")
    rig.desk.assign(LEE, ticket.id, group="service-desk", assignee="lee")
    rig.desk.deliver_pending()
    before = stored_state(rig)
    with pytest.raises(error):
        rig.desk.apply_macro(actor, ticket.id, "m")
    assert before == stored_state(rig)


def test_a_macro_needs_a_ticket_the_actor_may_see_and_a_known_name() -> None:
    """
    Another requester's ticket is refused before any step; an unknown macro stores nothing.
    """
    rig = helpdesk(desk_with(RESET))
    ticket = rig.desk.open(ANN, title="Forgot my password")
    before = stored_state(rig)
    other = Actor("zed", Role.REQUESTER)
    with pytest.raises(PermissionDenied, match="view"):
        rig.desk.apply_macro(other, ticket.id, "password_reset")
    with pytest.raises(InvalidInput, match="unknown macro"):
        rig.desk.apply_macro(LEE, ticket.id, "reset")
    with pytest.raises(InvalidInput, match="actor must be an Actor"):
        rig.desk.apply_macro("lee", ticket.id, "password_reset")  # type: ignore[arg-type]
    assert before == stored_state(rig)


def test_a_macro_that_resolves_offers_the_resolution_to_the_knowledge_base() -> None:
    """
    As resolve does: the resolution a macro gives becomes an article candidate.
    """
    kb = InMemoryKnowledgeBase()
    rig = helpdesk(desk_with(RESET, macro("note", step("comment", body="x"))), knowledge_base=kb)
    ticket = rig.desk.open(ANN, title="Forgot my password")
    rig.desk.assign(LEE, ticket.id, group="service-desk", assignee="lee")
    rig.desk.apply_macro(LEE, ticket.id, "note")
    assert [] == kb.candidates
    rig.desk.apply_macro(LEE, ticket.id, "password_reset")
    assert [f"candidate:{ticket.id}"] == [c.id for c in kb.candidates]


def test_set_fields_and_tag_steps_run_the_field_commands() -> None:
    """
    A macro sets a custom field and tags the ticket, in one save; a requester may not tag.
    """
    contract = CustomField("contract", "choice", options=("gold", "silver"), staff_only=True)
    vip = macro(
        "vip",
        step("set_fields", values={"contract": "gold"}, reason="VIP customer"),
        step("tag", add=["vip"]),
    )
    rig = helpdesk(Desk(macros={"vip": vip}, fields={"contract": contract}))
    ticket = rig.desk.open(ANN, title="Printer on fire")
    before, version = stored_state(rig), rig.repo.get(ticket.id).version
    with pytest.raises(PermissionDenied, match=r"step 1 \(set_fields\)"):
        rig.desk.apply_macro(ANN, ticket.id, "vip")
    assert before == stored_state(rig)
    rig.desk.apply_macro(LEE, ticket.id, "vip")
    stored = rig.repo.get(ticket.id)
    assert ({"contract": "gold"}, frozenset({"vip"})) == (dict(stored.fields), stored.tags)
    assert [FieldsChanged, TagsChanged] == [
        type(e) for e in stored.history[version:] if not isinstance(e, NotificationQueued)
    ]
