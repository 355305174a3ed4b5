"""
Custom workflows are validated when built, compiled into one machine, and drawn as Mermaid.
"""

from __future__ import annotations

from typing import Any

import pytest
import transitions

from builders import LEE, T0
from deskflow import INCIDENT, SERVICE_REQUEST, ConfigError, Trigger, Workflow
from deskflow.states import Transition


def build(**overrides: object) -> Workflow:
    spec: dict[str, object] = {
        "states": ["new", "triaged", "done"],
        "initial": "new",
        "final": ["done"],
        "transitions": [
            Transition("triage", "new", "triaged"),
            Transition("finish", "triaged", "done"),
        ],
    }
    spec.update(overrides)
    return Workflow("custom", **spec)  # type: ignore[arg-type]


def test_a_triage_step_is_built_like_the_built_ins() -> None:
    """
    A custom workflow with a triaged state fires like the built-in ones.
    """
    wf = build()
    t = wf.open("C-1", title="x", requester="ann", at=T0)
    t = wf.fire(t, "triage", actor=LEE, at=T0)
    assert "triaged" == t.state
    assert ("finish",) == wf.allowed("triaged")


@pytest.mark.parametrize(
    ("overrides", "culprit"),
    [
        ({"initial": "start"}, "'start'"),
        ({"final": ["finished"]}, "'finished'"),
        ({"transitions": [Transition("triage", "new", "nowhere")]}, "'nowhere'"),
        ({"transitions": [Transition("triage", "limbo", "triaged")]}, "'limbo'"),
        (
            {
                "states": ["new", "triaged", "done", "orphan"],
                "transitions": [
                    Transition("triage", "new", "triaged"),
                    Transition("finish", ["triaged", "orphan"], "done"),
                ],
            },
            "unreachable from 'new': orphan",
        ),
        (
            {
                "transitions": [
                    Transition("triage", "new", "triaged"),
                    Transition("x", "new", "done"),
                ]
            },
            "no way out that are not final: triaged",
        ),
        (
            {
                "transitions": [
                    Transition("triage", "new", "triaged"),
                    Transition("triage", "new", "done"),
                    Transition("finish", "triaged", "done"),
                ]
            },
            "duplicate trigger 'triage' from state 'new'",
        ),
        (
            {
                "transitions": [
                    Transition("triage", "new", "triaged"),
                    Transition("finish", "triaged", "done"),
                    Transition("undo", "done", "new"),
                ]
            },
            "final state 'done' has the way out 'undo'",
        ),
        ({"states": ["new", "new", "triaged", "done"]}, "duplicate states: new"),
        ({"pauses": {"resolution_time": ["new"]}}, "unknown metric 'resolution_time'"),
        ({"pauses": {"resolution": ["waiting"]}}, "'waiting'"),
        ({"transitions": [Transition("not a name", "new", "triaged")]}, "identifiers"),
        ({"states": ["new", 3, "done"]}, "strings"),
    ],
)
def test_bad_workflows_are_config_errors_naming_the_culprit(
    overrides: dict[str, object], culprit: str
) -> None:
    """
    Unknown, unreachable, dead-end and duplicate definitions fail at build time.
    """
    with pytest.raises(ConfigError, match=culprit):
        build(**overrides)


def test_allowed_is_read_from_the_compiled_machine() -> None:
    """
    For every state, allowed() lists exactly the machine's events with that source.
    """
    for wf in (INCIDENT, SERVICE_REQUEST):
        for state in wf.states:
            expected = sorted(n for n, e in wf.machine.events.items() if state in e.transitions)
            assert tuple(expected) == wf.allowed(state)


def test_the_machine_is_shared_and_bare() -> None:
    """
    One machine per workflow: no models, no auto transitions, events sent as EventData.
    """
    machine = INCIDENT.machine
    assert isinstance(machine, transitions.Machine)
    assert machine.models == []
    assert machine.send_event
    assert not any(name.startswith("to_") for name in machine.events)


def test_no_machine_is_built_per_ticket(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Opening and working a thousand tickets constructs no transitions Machine at all.
    """
    built = []
    original = transitions.Machine.__init__

    def counting(self: transitions.Machine, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(transitions.Machine, "__init__", counting)
    for n in range(1000):
        t = INCIDENT.open(f"T-{n}", title="x", requester="ann", at=T0)
        t = INCIDENT.fire(t, Trigger.ASSIGN, actor=LEE, at=T0, assignee="lee")
        t = INCIDENT.fire(t, Trigger.START, actor=LEE, at=T0)
        INCIDENT.fire(t, Trigger.RESOLVE, actor=LEE, at=T0, resolution="done")
    assert built == []
    build()
    assert 1 == len(built)


def _drawn_transitions(drawn: str, workflow: Workflow) -> list[tuple[str, str, str]]:
    """
    (state, trigger, dest) for every edge label of a drawing, the box's edges expanded to
    the states drawn in it.
    """
    box: list[str] = []
    box_id, in_box = None, False
    found: list[tuple[str, str, str]] = []
    for line in drawn.splitlines()[1:]:
        text = line.strip()
        if text.startswith("state "):
            in_box, box_id = True, text.split(" as ")[1].rstrip(" {")
            continue
        if text == "}":
            in_box = False
            continue
        if "[*]" in text:
            continue
        source, _, rest = text.partition(" --> ")
        if in_box:
            box.append(source)
            if rest:
                box.append(rest.split(" : ")[0])
        if not rest:
            continue
        dest, _, triggers = rest.partition(" : ")
        froms = sorted(set(box) & set(workflow.states)) if source == box_id else [source]
        found.extend((s, t, dest) for s in froms for t in triggers.split(", "))
    return found


@pytest.mark.parametrize("workflow", [INCIDENT, SERVICE_REQUEST], ids=lambda w: w.name)
@pytest.mark.parametrize("group_from", [3, None])
def test_mermaid_draws_every_transition_of_the_table_once(
    workflow: Workflow, group_from: int | None
) -> None:
    """
    Each (state, trigger) of the table is drawn exactly once, grouped or not, and finals end.
    """
    drawn = workflow.to_mermaid(group_from=group_from)
    expected = sorted(
        (state, trigger, workflow.destination(state, trigger))
        for state in workflow.states
        for trigger in workflow.allowed(state)
    )
    assert expected == sorted(_drawn_transitions(drawn, workflow))
    assert drawn.startswith(f"stateDiagram-v2\n    [*] --> {workflow.initial}")
    for state in workflow.final:
        assert f"    {state} --> [*]" in drawn


def test_mermaid_draws_the_incident_side_paths_once_from_a_box() -> None:
    """
    cancel and resolve, allowed from every open incident state, are one edge each.
    """
    assert """stateDiagram-v2
    [*] --> new
    state "any of these" as any_of_these {
        new --> assigned : assign
        assigned --> assigned : assign, escalate, return_to_first_line
        assigned --> in_progress : start
        assigned --> on_hold : hold
        assigned --> pending : request_info
        in_progress --> assigned : assign, escalate, return_to_first_line
        in_progress --> on_hold : hold
        in_progress --> pending : request_info
        pending --> in_progress : reply, resume
        on_hold --> assigned : escalate
        on_hold --> in_progress : resume
    }
    any_of_these --> cancelled : cancel
    any_of_these --> resolved : resolve
    resolved --> closed : close
    resolved --> in_progress : reopen
    closed --> [*]
    cancelled --> [*]""" == INCIDENT.to_mermaid()
    assert INCIDENT.to_mermaid() == INCIDENT.to_mermaid()


def test_mermaid_draws_each_edge_separately_below_the_group_size() -> None:
    """
    Without a trigger shared by group_from states, the drawing has no box.
    """
    flat = INCIDENT.to_mermaid(group_from=None)
    assert "state " not in flat
    assert "    pending --> cancelled : cancel" in flat
    assert "state " not in build().to_mermaid()
