"""
deskflow: the process logic of an IT help desk, as a library.

The ticket lifecycle as one shared state machine, impact x urgency priority, SLA clocks on
business calendars, escalation and routing policies, approvals, authorization and the audit
trail. Storage and notification are ports the host application implements.
"""

from __future__ import annotations

from deskflow.actors import SYSTEM, Actor, Role
from deskflow.adapters import (
    InMemoryKnowledgeBase,
    InMemoryNotifier,
    InMemoryTicketRepository,
    ManualClock,
    SystemClock,
)
from deskflow.approval import (
    ApprovalOutcome,
    ApprovalPolicy,
    ApprovalStage,
    ApprovalStatus,
    StageStatus,
    approval_status,
)
from deskflow.authorization import (
    AccessRule,
    Action,
    AuthorizationPolicy,
    Decision,
    DefaultAuthorization,
    require,
)
from deskflow.calendars import BusinessCalendar
from deskflow.desk import Desk
from deskflow.escalation import (
    CompositePolicy,
    EscalationPolicy,
    Fire,
    Notify,
    RaisePriority,
    Reassign,
    SetTier,
    fired_keys,
    record_fired,
)
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
from deskflow.ladders import Acknowledged, Ladder, LadderLevel, LadderPolicy
from deskflow.metrics import Metric
from deskflow.notices import Directory, HierarchicalNotices, MappingDirectory, SlaNotices
from deskflow.notifications import Audience, Notification, NotificationFailed
from deskflow.ports import Article, Clock, KnowledgeBase, Notifier, TicketRepository
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
from deskflow.reports import DeskReport, report
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
from deskflow.service import Delivery, HelpDesk, TickReport
from deskflow.sla import (
    CalendarByField,
    CalendarResolver,
    ClockState,
    ClockStatus,
    MetricPolicy,
    PriorityChangeMode,
    SlaPolicy,
    SlaReport,
    Threshold,
    ThresholdReached,
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
from deskflow.tiers import FunctionalTiers
from deskflow.views import TicketView, audience_may_see, visible, visible_events
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
    "AccessRule",
    "Acknowledged",
    "Action",
    "ActionFired",
    "Actor",
    "AgentStatus",
    "ApprovalDecided",
    "ApprovalOutcome",
    "ApprovalPolicy",
    "ApprovalRequested",
    "ApprovalStage",
    "ApprovalStatus",
    "Article",
    "Attempt",
    "Audience",
    "AuthorizationPolicy",
    "Available",
    "BusinessCalendar",
    "CalendarByField",
    "CalendarResolver",
    "Candidate",
    "Classified",
    "Clock",
    "ClockState",
    "ClockStatus",
    "Comment",
    "CommentAdded",
    "CompositePolicy",
    "ConcurrencyError",
    "ConfigError",
    "Cursor",
    "Decision",
    "DefaultAuthorization",
    "Delivery",
    "Desk",
    "DeskReport",
    "DeskflowError",
    "Directory",
    "Escalated",
    "EscalationPolicy",
    "Event",
    "Feedback",
    "FeedbackGiven",
    "Fire",
    "FunctionalTiers",
    "Guard",
    "HasCapacity",
    "HasSkills",
    "HelpDesk",
    "HierarchicalNotices",
    "HoldReason",
    "Impact",
    "InGroup",
    "InMemoryKnowledgeBase",
    "InMemoryNotifier",
    "InMemoryTicketRepository",
    "InvalidInput",
    "InvalidTransition",
    "KnowledgeBase",
    "Ladder",
    "LadderLevel",
    "LadderPolicy",
    "LeastLoaded",
    "Link",
    "LinkKind",
    "Linked",
    "LongestIdle",
    "ManualClock",
    "MappingDirectory",
    "Metric",
    "MetricPolicy",
    "NotFound",
    "Notification",
    "NotificationFailed",
    "NotificationQueued",
    "Notifier",
    "Notify",
    "PerService",
    "PermissionDenied",
    "Priority",
    "PriorityChangeMode",
    "PriorityChanged",
    "PriorityDecision",
    "PriorityFacts",
    "PriorityMatrix",
    "PriorityPolicy",
    "RaisePriority",
    "Reassign",
    "Role",
    "Router",
    "RoutingDecision",
    "RoutingPolicy",
    "RoutingRule",
    "RuleChain",
    "RuleTable",
    "ScoreBand",
    "SetTier",
    "SkillsBased",
    "SlaNotices",
    "SlaPolicy",
    "SlaReport",
    "SlaThresholdReached",
    "StageStatus",
    "State",
    "StateChanged",
    "SystemClock",
    "Threshold",
    "ThresholdReached",
    "TickReport",
    "Ticket",
    "TicketKind",
    "TicketOpened",
    "TicketRepository",
    "TicketView",
    "Transition",
    "Trigger",
    "Urgency",
    "VipFloor",
    "Visibility",
    "WeightedScore",
    "Workflow",
    "approval_status",
    "audience_may_see",
    "fired_keys",
    "incident_workflow",
    "load_desk",
    "next_ticket",
    "override_priority",
    "record_fired",
    "report",
    "reprioritize",
    "require",
    "service_request_workflow",
    "visible",
    "visible_events",
]

__version__ = "0.1.0.dev0"


def load_desk(source: object) -> Desk:
    """
    Build a :class:`Desk` from a ``.toml``/``.json`` path or a mapping.

    See :func:`deskflow.config.load_desk`; imported on first use, so that ``import
    deskflow`` stays light (pydantic is only needed to read configuration).
    """
    from deskflow.config import load_desk as load

    return load(source)
