"""
Which kinds of event, for automation rules, each event of a history is.
"""

from __future__ import annotations

from deskflow.enums import RuleTrigger
from deskflow.events import (
    Classified,
    CommentAdded,
    FieldsChanged,
    PriorityChanged,
    SlaThresholdReached,
    StateChanged,
    TagsChanged,
    TicketOpened,
)
from deskflow.ticket import Event, Ticket

_NONE: frozenset[RuleTrigger] = frozenset()
_SIMPLE: dict[type[Event], frozenset[RuleTrigger]] = {
    TicketOpened: frozenset({RuleTrigger.OPENED}),
    FieldsChanged: frozenset({RuleTrigger.FIELDS_CHANGED}),
    TagsChanged: frozenset({RuleTrigger.TAGS_CHANGED}),
    PriorityChanged: frozenset({RuleTrigger.PRIORITY_CHANGED}),
    Classified: frozenset({RuleTrigger.CLASSIFIED}),
    SlaThresholdReached: frozenset({RuleTrigger.SLA_THRESHOLD}),
}
_STATE = frozenset({RuleTrigger.STATE_CHANGED})
_ASSIGNED = frozenset({RuleTrigger.STATE_CHANGED, RuleTrigger.ASSIGNED})
_REQUESTER = frozenset({RuleTrigger.REQUESTER_COMMENT})
_AGENT = frozenset({RuleTrigger.AGENT_REPLY})
_NOTE = frozenset({RuleTrigger.INTERNAL_NOTE})


def triggers_of(event: Event, before: Ticket | None) -> frozenset[RuleTrigger]:
    """
    The kinds of event ``event`` is for rules, given the ticket ``before`` it: a state
    change is ``state_changed``, and also ``assigned`` when it is an assignment or hands the
    ticket to another group or assignee; a public comment is ``requester_comment`` or
    ``agent_reply`` by its author's role, an internal one ``internal_note``. Rules' own
    bookkeeping (``RuleFired``, notifications, escalation actions) raises none.

    >>> from datetime import datetime, timezone
    >>> from deskflow.events import CommentAdded
    >>> note = CommentAdded(at=datetime(2026, 3, 2, tzinfo=timezone.utc), actor="ann",
    ...                     body="Still broken", author_role="requester")
    >>> sorted(triggers_of(note, None))
    [<RuleTrigger.REQUESTER_COMMENT: 'requester_comment'>]
    """
    kind = type(event)
    simple = _SIMPLE.get(kind)
    if simple is not None:
        return simple
    if isinstance(event, CommentAdded):
        if event.internal:
            return _NOTE
        return _REQUESTER if event.author_role == "requester" else _AGENT
    if isinstance(event, StateChanged):
        if event.trigger == "assign" or before is None:
            return _ASSIGNED if event.trigger == "assign" else _STATE
        if (event.group is not None and event.group != before.group) or (
            event.assignee is not None and event.assignee != before.assignee
        ):
            return _ASSIGNED
        return _STATE
    for base, triggers in _SIMPLE.items():  # a host's subclass of a built-in event
        if isinstance(event, base):
            return triggers
    return _NONE
