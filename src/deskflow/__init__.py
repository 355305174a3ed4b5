"""
deskflow: the process logic of an IT help desk, as a library.

The ticket lifecycle as one shared state machine, impact x urgency priority, SLA clocks on
business calendars, escalation and routing policies, approvals, authorization and the audit
trail. Storage and notification are ports the host application implements.
"""

from __future__ import annotations

from deskflow.actors import SYSTEM, Actor, Role
from deskflow.events import (
    ActionFired,
    ApprovalDecided,
    ApprovalRequested,
    Classified,
    CommentAdded,
    Escalated,
    Event,
    FeedbackGiven,
    Linked,
    NotificationQueued,
    PriorityChanged,
    SlaThresholdReached,
    StateChanged,
    TicketOpened,
)
from deskflow.exceptions import (
    ConcurrencyError,
    ConfigError,
    DeskflowError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from deskflow.guards import Attempt, Guard
from deskflow.metrics import Metric
from deskflow.priority import Impact, Priority, Urgency
from deskflow.states import State, Transition, Trigger, Workflow
from deskflow.ticket import (
    Comment,
    Feedback,
    HoldReason,
    Link,
    LinkKind,
    Ticket,
    TicketKind,
    Visibility,
)
from deskflow.workflows import (
    INCIDENT,
    SERVICE_REQUEST,
    incident_workflow,
    service_request_workflow,
)

__all__ = [
    "INCIDENT",
    "SERVICE_REQUEST",
    "SYSTEM",
    "ActionFired",
    "Actor",
    "ApprovalDecided",
    "ApprovalRequested",
    "Attempt",
    "Classified",
    "Comment",
    "CommentAdded",
    "ConcurrencyError",
    "ConfigError",
    "DeskflowError",
    "Escalated",
    "Event",
    "Feedback",
    "FeedbackGiven",
    "Guard",
    "HoldReason",
    "Impact",
    "InvalidInput",
    "InvalidTransition",
    "Link",
    "LinkKind",
    "Linked",
    "Metric",
    "NotFound",
    "NotificationQueued",
    "PermissionDenied",
    "Priority",
    "PriorityChanged",
    "Role",
    "SlaThresholdReached",
    "State",
    "StateChanged",
    "Ticket",
    "TicketKind",
    "TicketOpened",
    "Transition",
    "Trigger",
    "Urgency",
    "Visibility",
    "Workflow",
    "incident_workflow",
    "service_request_workflow",
]

__version__ = "0.1.0.dev0"
