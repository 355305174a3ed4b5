"""
The testing kit's WorkflowStateMachine run on both built-in workflows and a custom one.
"""

from __future__ import annotations

import pytest

from deskflow import INCIDENT, SERVICE_REQUEST, Workflow
from deskflow.enums import Metric
from deskflow.states import Transition
from deskflow.testing import WorkflowStateMachine

# Each machine runs hundreds of random walks: seconds with the dev profile, minutes with ci.
pytestmark = pytest.mark.slow

#: A custom workflow with a triage step between new and assigned, as a host would write it.
TRIAGED = Workflow(
    "triaged_incident",
    states=["new", "triaged", "assigned", "in_progress", "resolved", "closed", "cancelled"],
    initial="new",
    final=["closed", "cancelled"],
    transitions=[
        Transition("triage", "new", "triaged"),
        Transition("assign", ["triaged", "assigned"], "assigned"),
        Transition("start", "assigned", "in_progress"),
        Transition("resolve", ["triaged", "in_progress"], "resolved", requires=["resolution"]),
        Transition("close", "resolved", "closed"),
        Transition("reopen", "resolved", "in_progress"),
        Transition("cancel", ["new", "triaged", "assigned"], "cancelled"),
    ],
    pauses={Metric.RESOLUTION: ["triaged"]},
)


class IncidentMachine(WorkflowStateMachine):
    """
    The built-in incident workflow.
    """

    workflow = INCIDENT


class ServiceRequestMachine(WorkflowStateMachine):
    """
    The built-in service-request workflow.
    """

    workflow = SERVICE_REQUEST


class TriagedMachine(WorkflowStateMachine):
    """
    A custom workflow with a triage state.
    """

    workflow = TRIAGED


TestIncidentWorkflow = IncidentMachine.TestCase
TestServiceRequestWorkflow = ServiceRequestMachine.TestCase
TestTriagedWorkflow = TriagedMachine.TestCase
