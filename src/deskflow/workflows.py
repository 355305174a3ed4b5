"""
The built-in workflows: the ITIL incident lifecycle and the service-request lifecycle with
approval. Both are ordinary [`Workflow`][deskflow.states.Workflow] data; the factories take the
policies (reopen window, hold reasons) as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Final

from deskflow.enums import HoldReason, Metric, State, TicketKind, Trigger
from deskflow.guards import (
    AboveFirstLine,
    GroupOrAssignee,
    HasAssignee,
    HigherTier,
    NotOwnRequest,
    OneOf,
    RequesterCancelsEarly,
    WithinWindow,
)
from deskflow.states import Transition, Workflow

__all__ = ["INCIDENT", "SERVICE_REQUEST", "incident_workflow", "service_request_workflow"]


_ACTIVE_INCIDENT: Final = (State.ASSIGNED, State.IN_PROGRESS, State.PENDING, State.ON_HOLD)
_CLOSED_STATES: Final = (State.RESOLVED, State.CLOSED, State.CANCELLED)


def incident_workflow(
    *,
    reopen_window: timedelta = timedelta(days=7),
    hold_reasons: Iterable[str] = tuple(HoldReason),
) -> Workflow:
    """
    The ITIL incident workflow: new, assigned, in_progress, pending, on_hold, resolved,
    closed, cancelled.

    ``reopen_window`` is how long after resolution a ticket may be reopened;
    ``hold_reasons`` the reasons accepted for putting a ticket on hold.
    """
    s, t = State, Trigger
    reasons = tuple(str(r) for r in hold_reasons)
    working = (s.ASSIGNED, s.IN_PROGRESS)
    return Workflow(
        "incident",
        states=[s.NEW, s.ASSIGNED, s.IN_PROGRESS, s.PENDING, s.ON_HOLD, *_CLOSED_STATES],
        initial=s.NEW,
        final=[s.CLOSED, s.CANCELLED],
        kind=TicketKind.INCIDENT,
        transitions=[
            Transition(t.ASSIGN, [s.NEW, *working], s.ASSIGNED, guards=[GroupOrAssignee()]),
            Transition(t.START, s.ASSIGNED, s.IN_PROGRESS, guards=[HasAssignee()]),
            Transition(t.REQUEST_INFO, working, s.PENDING),
            Transition(t.REPLY, s.PENDING, s.IN_PROGRESS),
            Transition(
                t.HOLD,
                working,
                s.ON_HOLD,
                requires=["hold_reason"],
                guards=[OneOf("hold_reason", reasons)],
            ),
            Transition(t.RESUME, [s.PENDING, s.ON_HOLD], s.IN_PROGRESS),
            Transition(
                t.ESCALATE,
                [*working, s.ON_HOLD],
                s.ASSIGNED,
                requires=["tier"],
                guards=[HigherTier()],
            ),
            Transition(
                t.RETURN_TO_FIRST_LINE,
                working,
                s.ASSIGNED,
                guards=[AboveFirstLine()],
                sets={"tier": 1},
            ),
            Transition(t.RESOLVE, [s.NEW, *_ACTIVE_INCIDENT], s.RESOLVED, requires=["resolution"]),
            Transition(t.CLOSE, s.RESOLVED, s.CLOSED),
            Transition(t.REOPEN, s.RESOLVED, s.IN_PROGRESS, guards=[WithinWindow(reopen_window)]),
            Transition(
                t.CANCEL,
                [s.NEW, *_ACTIVE_INCIDENT],
                s.CANCELLED,
                guards=[RequesterCancelsEarly(frozenset({s.NEW, s.ASSIGNED}))],
            ),
        ],
        pauses={
            Metric.RESOLUTION: [s.PENDING, s.ON_HOLD],
            Metric.NEXT_RESPONSE: [s.PENDING],
            # Pending waits for the requester: an update to them is pointless. On hold waits
            # for a vendor, a change or a problem, and the requester still expects news.
            Metric.PERIODIC_UPDATE: [s.PENDING],
        },
        stops={
            Metric.RESOLUTION: [s.RESOLVED],
            Metric.FIRST_RESPONSE: [s.RESOLVED],
            Metric.NEXT_RESPONSE: [s.RESOLVED],
            Metric.PERIODIC_UPDATE: [s.RESOLVED],
        },
    )


def service_request_workflow(
    *,
    reopen_window: timedelta = timedelta(days=7),
    hold_reasons: Iterable[str] = tuple(HoldReason),
) -> Workflow:
    """
    The service-request workflow: submitted -> (awaiting_approval -> approved | rejected)
    -> assigned -> in_fulfilment -> fulfilled -> closed, with pending, on_hold and cancel.
    """
    s, t = State, Trigger
    reasons = tuple(str(r) for r in hold_reasons)
    early = (s.SUBMITTED, s.AWAITING_APPROVAL, s.APPROVED, s.ASSIGNED)
    return Workflow(
        "service_request",
        states=[
            s.SUBMITTED,
            s.AWAITING_APPROVAL,
            s.APPROVED,
            s.REJECTED,
            s.ASSIGNED,
            s.IN_FULFILMENT,
            s.PENDING,
            s.ON_HOLD,
            s.FULFILLED,
            s.CLOSED,
            s.CANCELLED,
        ],
        initial=s.SUBMITTED,
        final=[s.REJECTED, s.CLOSED, s.CANCELLED],
        kind=TicketKind.SERVICE_REQUEST,
        transitions=[
            Transition(t.REQUEST_APPROVAL, s.SUBMITTED, s.AWAITING_APPROVAL),
            Transition(t.APPROVE, s.AWAITING_APPROVAL, s.APPROVED, guards=[NotOwnRequest()]),
            Transition(t.REJECT, s.AWAITING_APPROVAL, s.REJECTED),
            Transition(
                t.ASSIGN,
                [s.SUBMITTED, s.APPROVED, s.ASSIGNED, s.IN_FULFILMENT],
                s.ASSIGNED,
                guards=[GroupOrAssignee()],
            ),
            Transition(t.START, s.ASSIGNED, s.IN_FULFILMENT, guards=[HasAssignee()]),
            Transition(t.REQUEST_INFO, [s.ASSIGNED, s.IN_FULFILMENT], s.PENDING),
            Transition(t.REPLY, s.PENDING, s.IN_FULFILMENT),
            Transition(
                t.HOLD,
                [s.ASSIGNED, s.IN_FULFILMENT],
                s.ON_HOLD,
                requires=["hold_reason"],
                guards=[OneOf("hold_reason", reasons)],
            ),
            Transition(t.RESUME, [s.PENDING, s.ON_HOLD], s.IN_FULFILMENT),
            Transition(
                t.FULFIL, [s.ASSIGNED, s.IN_FULFILMENT], s.FULFILLED, requires=["resolution"]
            ),
            Transition(t.CLOSE, s.FULFILLED, s.CLOSED),
            Transition(
                t.REOPEN, s.FULFILLED, s.IN_FULFILMENT, guards=[WithinWindow(reopen_window)]
            ),
            Transition(
                t.CANCEL,
                [*early, s.IN_FULFILMENT, s.PENDING, s.ON_HOLD],
                s.CANCELLED,
                guards=[RequesterCancelsEarly(frozenset(early))],
            ),
        ],
        pauses={
            Metric.RESOLUTION: [s.AWAITING_APPROVAL, s.PENDING, s.ON_HOLD],
            Metric.NEXT_RESPONSE: [s.PENDING],
            # As for incidents: on hold keeps the requester's updates due.
            Metric.PERIODIC_UPDATE: [s.AWAITING_APPROVAL, s.PENDING],
        },
        stops={
            Metric.RESOLUTION: [s.FULFILLED],
            Metric.FIRST_RESPONSE: [s.FULFILLED],
            Metric.NEXT_RESPONSE: [s.FULFILLED],
            Metric.PERIODIC_UPDATE: [s.FULFILLED],
        },
    )


#: The default ITIL incident workflow (reopen window 7 days).
INCIDENT: Final = incident_workflow()
#: The default service-request workflow, with approval.
SERVICE_REQUEST: Final = service_request_workflow()
