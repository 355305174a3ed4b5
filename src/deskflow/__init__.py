"""
deskflow: the process logic of an IT help desk, as a library.

The ticket lifecycle as one shared state machine, impact x urgency priority, SLA clocks on
business calendars, escalation and routing policies, approvals, authorization and the audit
trail. Storage and notification are ports the host application implements.
"""

from __future__ import annotations

from deskflow.actors import SYSTEM, Actor
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
    AccessDecision,
    AccessRule,
    AuthorizationPolicy,
    DefaultAuthorization,
    Permission,
    require,
)
from deskflow.calendars import BusinessCalendar
from deskflow.dedup import fired_keys, record_fired
from deskflow.desk import Desk
from deskflow.enums import (
    Audience,
    HoldReason,
    Impact,
    LinkKind,
    Metric,
    Priority,
    Role,
    State,
    TicketKind,
    Trigger,
    Urgency,
    Visibility,
)
from deskflow.escalation import (
    CompositePolicy,
    EscalationPolicy,
    Fire,
    Notify,
    RaisePriority,
    Reassign,
    SetTier,
)
from deskflow.events import (
    Acknowledged,
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
from deskflow.notifications import Notification, NotificationFailed
from deskflow.outbox import Delivery
from deskflow.policies.ladders import Ladder, LadderLevel, LadderPolicy
from deskflow.policies.notices import Directory, HierarchicalNotices, MappingDirectory, SlaNotices
from deskflow.policies.priority_rules import (
    PerService,
    RuleChain,
    ScoreBand,
    VipFloor,
    WeightedScore,
    override_priority,
    reprioritize,
)
from deskflow.policies.queues import RoutingRule, RuleTable, next_ticket
from deskflow.policies.routers import (
    Available,
    HasCapacity,
    HasSkills,
    InGroup,
    LeastLoaded,
    LongestIdle,
    Router,
    SkillsBased,
)
from deskflow.policies.tiers import FunctionalTiers
from deskflow.ports import Article, Clock, KnowledgeBase, Notifier, TicketRepository
from deskflow.priority import PriorityDecision, PriorityFacts, PriorityMatrix, PriorityPolicy
from deskflow.reports import DeskReport, desk_report
from deskflow.routing import AgentStatus, Candidate, Cursor, RoutingDecision, RoutingPolicy
from deskflow.service import HelpDesk
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
from deskflow.states import Transition, Workflow
from deskflow.tick import TickReport
from deskflow.ticket import Comment, Feedback, Link, Ticket
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
    "AccessDecision",
    "AccessRule",
    "Acknowledged",
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
    "Permission",
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
    "desk_report",
    "fired_keys",
    "incident_workflow",
    "load_desk",
    "next_ticket",
    "override_priority",
    "record_fired",
    "reprioritize",
    "require",
    "service_request_workflow",
    "visible",
    "visible_events",
]

__version__ = "0.1.0.dev0"


def load_desk(source: object) -> Desk:
    """
    Build a [`Desk`][deskflow.desk.Desk] from a ``.toml``/``.json`` path or a mapping.

    See [`deskflow.config.load_desk()`][deskflow.config.load_desk]; imported on first use, so
    that ``import deskflow`` stays light (pydantic is only needed to read configuration).
    """
    from deskflow.config import load_desk as load

    return load(source)
