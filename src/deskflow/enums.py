"""
The vocabulary of a help desk as enums: roles, ticket kinds, priority, impact and urgency,
SLA metrics, the states and triggers of the built-in workflows, and notification audiences.

A leaf module: it imports nothing of deskflow but its errors, so every other module can use
these names without an import cycle.
"""

from __future__ import annotations

import enum

from deskflow.exceptions import InvalidInput

__all__ = [
    "Audience",
    "FieldType",
    "HitPolicy",
    "HoldReason",
    "Impact",
    "LinkKind",
    "Metric",
    "Priority",
    "Role",
    "RuleTrigger",
    "State",
    "TicketKind",
    "Trigger",
    "Urgency",
    "Visibility",
]


class Role(enum.StrEnum):
    """
    The roles deskflow knows. Authorization is default-deny on top of these.
    """

    REQUESTER = "requester"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    APPROVER = "approver"
    ADMIN = "admin"
    SYSTEM = "system"


class TicketKind(enum.StrEnum):
    """
    What a ticket is about: an incident (something broke) or a service request (asking for
    something).
    """

    INCIDENT = "incident"
    SERVICE_REQUEST = "service_request"


class Visibility(enum.StrEnum):
    """
    Who may read a comment: everyone with access to the ticket, or staff only.
    """

    PUBLIC = "public"
    INTERNAL = "internal"


class HoldReason(enum.StrEnum):
    """
    Why a ticket is on hold: it waits on a vendor, a change or a problem record.
    """

    VENDOR = "vendor"
    CHANGE = "change"
    PROBLEM = "problem"


class LinkKind(enum.StrEnum):
    """
    How two tickets relate.
    """

    RELATED = "related"
    DUPLICATE_OF = "duplicate_of"
    MERGED_INTO = "merged_into"
    MERGED_FROM = "merged_from"
    SPLIT_FROM = "split_from"
    SPLIT_INTO = "split_into"
    CAUSED_BY = "caused_by"


class Impact(enum.StrEnum):
    """
    How much of the business an issue affects.
    """

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Urgency(enum.StrEnum):
    """
    How quickly the business needs the issue resolved.
    """

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@enum.unique
class Priority(enum.StrEnum):
    """
    Priority P1 (most urgent) to P5 (least urgent).

    Members compare by urgency: ``Priority.P1 > Priority.P2`` reads "P1 is more urgent
    than P2", and ``max()`` of several priorities is the most urgent one.

    >>> max(Priority.P3, Priority.P1, Priority.P5)
    <Priority.P1: 'P1'>
    >>> Priority.P2.rank
    2
    """

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"

    @property
    def rank(self) -> int:
        """
        The number in the name: 1 for P1 (most urgent) up to 5 for P5.
        """
        return int(self.value[1:])

    @classmethod
    def from_rank(cls, rank: int) -> Priority:
        """
        The priority with the given rank, 1..5.
        """
        if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= 5:
            raise InvalidInput(f"priority rank must be an int from 1 to 5, got {rank!r}")
        return cls(f"P{rank}")

    # Ordering by urgency, not by string value: P1 is the greatest.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank < other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank <= other.rank


class Metric(enum.StrEnum):
    """
    A service-level metric, each measured by its own SLA clock.

    - ``first_response``: from opening until the first public reply of an agent;
    - ``next_response``: restarts at each requester message, until an agent's public reply;
    - ``periodic_update``: time between public updates to the requester while the ticket is open
      (paused while pending, when the requester owes the answer; on hold it keeps running);
    - ``resolution``: from opening until the ticket is resolved (paused while it waits).
    """

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    PERIODIC_UPDATE = "periodic_update"
    RESOLUTION = "resolution"


class State(enum.StrEnum):
    """
    The states of the built-in workflows. Custom workflows may add their own (plain strings).
    """

    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    SUBMITTED = "submitted"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_FULFILMENT = "in_fulfilment"
    FULFILLED = "fulfilled"


class Trigger(enum.StrEnum):
    """
    The triggers of the built-in workflows. Custom workflows may add their own (plain strings).
    """

    ASSIGN = "assign"
    START = "start"
    REQUEST_INFO = "request_info"
    REPLY = "reply"
    HOLD = "hold"
    RESUME = "resume"
    ESCALATE = "escalate"
    RETURN_TO_FIRST_LINE = "return_to_first_line"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"
    REQUEST_APPROVAL = "request_approval"
    APPROVE = "approve"
    REJECT = "reject"
    FULFIL = "fulfil"


class Audience(enum.StrEnum):
    """
    Who a notification is written for: the requester, or staff (who may see internal notes).
    """

    REQUESTER = "requester"
    STAFF = "staff"


class FieldType(enum.StrEnum):
    """
    The type of a desk's custom field (see [`CustomField`][deskflow.fields.CustomField]).

    ``choice`` holds one of the field's options, ``multi_choice`` a set of them, ``user`` a
    person's id, ``decimal`` an exact decimal number, ``date`` a calendar date.
    """

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    DATE = "date"
    USER = "user"


class RuleTrigger(enum.StrEnum):
    """
    When an automation rule is evaluated: on an event of one of these kinds, or on ``time``.

    - ``opened``: a ticket was logged;
    - ``state_changed``: any state change (``assigned`` also for a change of group or
      assignee, whatever the state);
    - ``requester_comment`` / ``agent_reply``: a public message of the requester / of staff;
    - ``internal_note``: a staff-only note;
    - ``fields_changed``, ``tags_changed``, ``priority_changed``, ``classified``;
    - ``sla_threshold``: an SLA clock passed a warning threshold or breached;
    - ``time``: evaluated by ``tick()`` when the rule's time condition comes true.
    """

    OPENED = "opened"
    STATE_CHANGED = "state_changed"
    ASSIGNED = "assigned"
    REQUESTER_COMMENT = "requester_comment"
    AGENT_REPLY = "agent_reply"
    INTERNAL_NOTE = "internal_note"
    FIELDS_CHANGED = "fields_changed"
    TAGS_CHANGED = "tags_changed"
    PRIORITY_CHANGED = "priority_changed"
    CLASSIFIED = "classified"
    SLA_THRESHOLD = "sla_threshold"
    TIME = "time"


class HitPolicy(enum.StrEnum):
    """
    How many rules of a rule set fire for one event: every matching rule in the declared
    order (``all``; a ``stop`` action ends it), or only the first one that matches
    (``first``).
    """

    ALL = "all"
    FIRST = "first"
