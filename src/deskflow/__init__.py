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
from deskflow.priority import (
    Impact,
    Priority,
    PriorityDecision,
    PriorityFacts,
    PriorityMatrix,
    PriorityPolicy,
    Urgency,
)
from deskflow.priority_rules import (
    PerService,
    RuleChain,
    ScoreBand,
    VipFloor,
    WeightedScore,
    override_priority,
    reprioritize,
)
from deskflow.queues import RoutingRule, RuleTable, next_ticket
from deskflow.routing import (
    AgentStatus,
    Available,
    Candidate,
    Cursor,
    HasCapacity,
    HasSkills,
    InGroup,
    LeastLoaded,
    LongestIdle,
    Router,
    RoutingDecision,
    RoutingPolicy,
    SkillsBased,
)
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
    "AgentStatus",
    "ApprovalDecided",
    "ApprovalRequested",
    "Attempt",
    "Available",
    "Candidate",
    "Classified",
    "Comment",
    "CommentAdded",
    "ConcurrencyError",
    "ConfigError",
    "Cursor",
    "DeskflowError",
    "Escalated",
    "Event",
    "Feedback",
    "FeedbackGiven",
    "Guard",
    "HasCapacity",
    "HasSkills",
    "HoldReason",
    "Impact",
    "InGroup",
    "InvalidInput",
    "InvalidTransition",
    "LeastLoaded",
    "Link",
    "LinkKind",
    "Linked",
    "LongestIdle",
    "Metric",
    "NotFound",
    "NotificationQueued",
    "PerService",
    "PermissionDenied",
    "Priority",
    "PriorityChanged",
    "PriorityDecision",
    "PriorityFacts",
    "PriorityMatrix",
    "PriorityPolicy",
    "Role",
    "Router",
    "RoutingDecision",
    "RoutingPolicy",
    "RoutingRule",
    "RuleChain",
    "RuleTable",
    "ScoreBand",
    "SkillsBased",
    "SlaThresholdReached",
    "State",
    "StateChanged",
    "Ticket",
    "TicketKind",
    "TicketOpened",
    "Transition",
    "Trigger",
    "Urgency",
    "VipFloor",
    "Visibility",
    "WeightedScore",
    "Workflow",
    "incident_workflow",
    "next_ticket",
    "override_priority",
    "reprioritize",
    "service_request_workflow",
]

__version__ = "0.1.0.dev0"
