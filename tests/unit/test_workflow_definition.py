"""
Custom workflows are validated when built, compiled into one machine, and drawn as Mermaid.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import transitions

from deskflow import (
    INCIDENT,
    SERVICE_REQUEST,
    Actor,
    ConfigError,
    Role,
    Transition,
    Trigger,
    Workflow,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


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
    agent = Actor("lee", Role.AGENT)
    t = wf.open("C-1", title="x", requester="ann", at=T0)
    t = wf.fire(t, "triage", actor=agent, at=T0)
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

    def counting(self: transitions.Machine, *args: object, **kwargs: object) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(transitions.Machine, "__init__", counting)
    agent = Actor("lee", Role.AGENT)
    for n in range(1000):
        t = INCIDENT.open(f"T-{n}", title="x", requester="ann", at=T0)
        t = INCIDENT.fire(t, Trigger.ASSIGN, actor=agent, at=T0, assignee="lee")
        t = INCIDENT.fire(t, Trigger.START, actor=agent, at=T0)
        INCIDENT.fire(t, Trigger.RESOLVE, actor=agent, at=T0, resolution="done")
    assert built == []
    build()
    assert 1 == len(built)


def test_mermaid_draws_every_transition_of_the_table() -> None:
    """
    to_mermaid() has one edge label per (state, trigger) of the table, and marks finals.
    """
    drawn = INCIDENT.to_mermaid()
    assert drawn.startswith("stateDiagram-v2\n    [*] --> new")
    for state in INCIDENT.states:
        for trigger in INCIDENT.allowed(state):
            dest = INCIDENT.destination(state, trigger)
            edge = next(
                ln for ln in drawn.splitlines() if ln.startswith(f"    {state} --> {dest} :")
            )
            assert trigger in edge
    assert "    closed --> [*]" in drawn
    assert "    cancelled --> [*]" in drawn
