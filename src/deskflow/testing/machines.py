"""
[`WorkflowStateMachine`][deskflow.testing.machines.WorkflowStateMachine]: a Hypothesis
rule-based state machine that property-checks a workflow. Subclass it with your own workflow::

    from deskflow.testing import WorkflowStateMachine

    class MyWorkflowMachine(WorkflowStateMachine):
        workflow = MY_WORKFLOW

    TestMyWorkflow = MyWorkflowMachine.TestCase

It fires random triggers (known and unknown, with plausible, missing or wrong details) by
random actors at random times, and checks after every step that

- replaying the history rebuilds the ticket exactly, and its version is its history's length;
- ``allowed()`` agrees with the compiled machine and with what ``fire`` accepts: a trigger
  outside ``allowed()`` always fails, one inside fails only with a guard's reason, and a
  success lands where the table says;
- a failed trigger changes nothing;
- final states absorb every trigger with an error and no change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from deskflow.actors import Actor
from deskflow.exceptions import InvalidTransition
from deskflow.states import Workflow
from deskflow.testing.strategies import REQUESTER, actors, details_for, gaps
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

__all__ = ["WorkflowStateMachine"]


class WorkflowStateMachine(RuleBasedStateMachine):
    """
    Property-check ``workflow``: subclass, set ``workflow``, and collect ``.TestCase``.
    """

    #: The workflow under test; subclasses set their own.
    workflow: ClassVar[Workflow] = INCIDENT
    #: The requester of the ticket under test.
    requester: ClassVar[Actor] = REQUESTER

    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self.ticket: Ticket = self.workflow.open(
            "T-1", title="Property-checked ticket", requester=self.requester, at=self.now
        )
        self.fired = 0
        self.refused = 0

    @rule(data=st.data(), gap=gaps())
    def fire_a_trigger(self, data: st.DataObject, gap: timedelta) -> None:
        """
        Fire a trigger — usually one the state allows, sometimes any — and check the outcome.
        """
        workflow = self.workflow
        before = self.ticket
        allowed = workflow.allowed(before.state)
        choices = st.sampled_from(workflow.triggers) | st.just("no_such_trigger")
        if allowed:
            choices = st.sampled_from(allowed) | choices
        trigger = data.draw(choices, label="trigger")
        details = data.draw(details_for(workflow, before.state, trigger), label="details")
        actor = data.draw(actors(requester=self.requester), label="actor")
        self.now += gap
        try:
            after = workflow.fire(before, trigger, actor=actor, at=self.now, **details)
        except InvalidTransition as error:
            self.refused += 1
            assert before == self.ticket
            assert error.state == before.state
            assert tuple(error.allowed) == allowed
            if trigger in allowed:
                # Only a guard may refuse a trigger the state allows, and it says why.
                assert error.reason is not None
        else:
            self.fired += 1
            assert trigger in allowed
            assert workflow.destination(before.state, trigger) == after.state
            assert before.version + 1 == after.version
            assert before.history == after.history[:-1]
            self.ticket = after

    @precondition(lambda self: self.workflow.is_final(self.ticket.state))
    @rule(actor=actors(), gap=gaps())
    def final_states_absorb_everything(self, actor: Actor, gap: timedelta) -> None:
        """
        Every trigger fails on a ticket in a final state, and changes nothing.
        """
        self.now += gap
        before = self.ticket
        assert self.workflow.allowed(before.state) == ()
        for trigger in self.workflow.triggers:
            try:
                self.workflow.fire(before, trigger, actor=actor, at=self.now, reason="x")
            except InvalidTransition:
                pass
            else:  # pragma: no cover - reached only when the property fails
                raise AssertionError(f"{trigger} fired from final state {before.state}")
        assert before == self.ticket

    @invariant()
    def replay_rebuilds_the_ticket(self) -> None:
        """
        The ticket is the fold of its history; the version is the history's length.
        """
        assert self.ticket == Ticket.replay(self.ticket.history)
        assert len(self.ticket.history) == self.ticket.version

    @invariant()
    def table_agrees_with_the_machine(self) -> None:
        """
        ``allowed()`` reads exactly what the shared transitions machine would accept.
        """
        state = self.ticket.state
        from_machine = sorted(
            name
            for name, event in self.workflow.machine.events.items()
            if state in event.transitions
        )
        assert tuple(from_machine) == self.workflow.allowed(state)
