"""
Who may do what to which ticket: the actions of the help desk and a default-deny policy.

[`DefaultAuthorization`][deskflow.authorization.DefaultAuthorization] is a table, role by role
and action by action, of the [`AccessRule`][deskflow.authorization.AccessRule] objects an actor
and a ticket must pass; anything the table does not list is refused. A host passes its own table
(or extends the default one with
[`DefaultAuthorization.with_rules()`][deskflow.authorization.DefaultAuthorization.with_rules]),
subclasses it, or writes any object with an ``authorize`` method. The acting identity is always
a parameter from the host's authenticated context, never a field of a request payload.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final, Protocol

import attrs

from deskflow._internal import checks as _checks
from deskflow.actors import Actor
from deskflow.approval import approval_status, beneficiary_of
from deskflow.enums import Role, State, TicketKind, Trigger
from deskflow.events import Escalated
from deskflow.exceptions import ConfigError, InvalidInput, PermissionDenied
from deskflow.ticket import Ticket

__all__ = [
    "ASKED",
    "AWAITING_THEM",
    "DEFAULT_RULES",
    "EARLY",
    "FEEDBACK_DUE",
    "IN_THEIR_GROUPS",
    "OWN",
    "PAGED",
    "SERVICE_REQUESTS",
    "SETTLED",
    "WITHIN_TIER",
    "AccessDecision",
    "AccessRule",
    "AuthorizationPolicy",
    "DefaultAuthorization",
    "Permission",
    "RuleTable",
    "action_for",
    "either",
    "in_states",
    "require",
]


class Permission(enum.StrEnum):
    """
    The commands of the help desk, as authorization sees them.
    """

    OPEN = "open"
    VIEW = "view"
    VIEW_SLA = "view_sla"
    CLASSIFY = "classify"
    ASSIGN = "assign"
    START = "start"
    REQUEST_INFO = "request_info"
    REPLY = "reply"
    COMMENT_PUBLIC = "comment_public"
    COMMENT_INTERNAL = "comment_internal"
    HOLD = "hold"
    RESUME = "resume"
    ESCALATE = "escalate"
    RETURN_TO_FIRST_LINE = "return_to_first_line"
    RESOLVE = "resolve"
    CLOSE = "close"
    FEEDBACK = "feedback"
    REOPEN = "reopen"
    CANCEL = "cancel"
    MERGE = "merge"
    SPLIT = "split"
    LINK = "link"
    OVERRIDE_PRIORITY = "override_priority"
    REQUEST_APPROVAL = "request_approval"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    ACKNOWLEDGE = "acknowledge"
    EXPLAIN = "explain"
    SET_FIELDS = "set_fields"
    TAG = "tag"


def action_for(trigger: str) -> Permission:
    """
    The action that firing workflow ``trigger`` needs; fulfilling a request is resolving it.

    >>> action_for("fulfil")
    <Permission.RESOLVE: 'resolve'>
    """
    if trigger == Trigger.FULFIL:
        return Permission.RESOLVE
    return _checks.member("trigger", Permission, trigger)


@attrs.frozen
class AccessDecision:
    """
    Whether an actor may do an action, and the sentence that says why.
    """

    allowed: bool
    reason: str


class AuthorizationPolicy(Protocol):
    """
    Decides whether ``actor`` may do ``action`` to ``ticket`` (None for opening a ticket).
    """

    def authorize(self, actor: Actor, action: Permission, ticket: Ticket | None) -> AccessDecision:
        """
        Allow or refuse, with a reason; never raise for a refusal.
        """


def require(
    policy: AuthorizationPolicy, actor: Actor, action: Permission, ticket: Ticket | None
) -> AccessDecision:
    """
    Return the policy's decision if it allows the action; raise PermissionDenied otherwise.
    """
    decision = policy.authorize(actor, action, ticket)
    if not decision.allowed:
        raise PermissionDenied(decision.reason)
    return decision


@attrs.frozen
class AccessRule:
    """
    A condition the actor and the ticket must meet, and the words that explain it.

    ``scope`` names what the rule admits and completes the sentence "may only <act on> ...",
    so a refusal reads "requesters may only view their own tickets".

    >>> weekday = AccessRule("tickets logged on a weekday",
    ...                      lambda actor, ticket: ticket.created_at.weekday() < 5)
    >>> DefaultAuthorization({"agent": {"view": weekday}}).rules_for(Role.AGENT, Permission.VIEW)
    (AccessRule(scope='tickets logged on a weekday'),)
    """

    scope: str
    test: Callable[[Actor, Ticket], bool] = attrs.field(eq=False, repr=False)


def either(*rules: AccessRule) -> AccessRule:
    """
    A rule met when any of ``rules`` is met.
    """
    return AccessRule(
        " or ".join(r.scope for r in rules), lambda a, t: any(r.test(a, t) for r in rules)
    )


def in_states(*states: str) -> AccessRule:
    """
    A rule met while the ticket is in one of ``states``.
    """
    names = frozenset(map(str, states))
    listed = sorted(names)
    shown = listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} or {listed[-1]}"
    return AccessRule(f"tickets that are {shown}", lambda _a, t: t.state in names)


def _in_their_groups(actor: Actor, ticket: Ticket) -> bool:
    return ticket.group is None or ticket.group in actor.groups or ticket.assignee == actor.id


def _was_asked(actor: Actor, ticket: Ticket) -> bool:
    return actor.id in approval_status(ticket).asked


def _was_paged(actor: Actor, ticket: Ticket) -> bool:
    return any(
        isinstance(event, Escalated) and actor.id in event.notified for event in ticket.history
    )


def _awaits_them(actor: Actor, ticket: Ticket) -> bool:
    return actor.id in approval_status(ticket).awaiting


#: The ticket is the actor's own.
OWN: Final = AccessRule("their own tickets", lambda a, t: t.requester == a.id)
#: The ticket belongs to one of the actor's groups, to no group, or is assigned to the actor.
IN_THEIR_GROUPS: Final = AccessRule(
    "tickets of their groups, with no group or assigned to them", _in_their_groups
)
#: The ticket's tier is at or below the actor's tier (actors without a tier work any tier).
WITHIN_TIER: Final = AccessRule(
    "tickets at or below their tier", lambda a, t: a.tier is None or t.tier <= a.tier
)
#: The ticket is a service request.
SERVICE_REQUESTS: Final = AccessRule(
    "service requests", lambda _a, t: t.kind is TicketKind.SERVICE_REQUEST
)
#: The actor is asked to decide the current approval stage and has not yet decided.
AWAITING_THEM: Final = AccessRule("requests awaiting their approval", _awaits_them)
#: The actor was asked to approve the request at some stage.
ASKED: Final = AccessRule("requests they were asked to approve", _was_asked)
#: An escalation notice (a page, a hierarchical notice) named the actor.
PAGED: Final = AccessRule("tickets they were paged or notified about", _was_paged)

_S = State
#: While a requester may still withdraw: before work starts (incident) or fulfilment (request).
EARLY: Final = in_states(_S.NEW, _S.ASSIGNED, _S.SUBMITTED, _S.AWAITING_APPROVAL, _S.APPROVED)
#: A solution was given and the requester may confirm or reopen it.
SETTLED: Final = in_states(_S.RESOLVED, _S.FULFILLED)
#: Feedback is given on a solution: once the ticket is resolved, fulfilled or closed.
FEEDBACK_DUE: Final = in_states(_S.RESOLVED, _S.FULFILLED, _S.CLOSED)

_A = Permission
_WORK: Final = (IN_THEIR_GROUPS, WITHIN_TIER)
#: What agents do to the tickets they work (supervisors do it across groups and tiers).
_AGENT_ACTIONS: Final = (
    _A.CLASSIFY, _A.ASSIGN, _A.START, _A.REQUEST_INFO, _A.COMMENT_PUBLIC, _A.COMMENT_INTERNAL,
    _A.HOLD, _A.RESUME, _A.ESCALATE, _A.RETURN_TO_FIRST_LINE, _A.RESOLVE, _A.CLOSE, _A.REOPEN,
    _A.CANCEL, _A.MERGE, _A.SPLIT, _A.LINK, _A.REQUEST_APPROVAL, _A.SET_FIELDS, _A.TAG,
)  # fmt: skip
#: What the system does: time-based work and the fields and tags of automation rules.
_SYSTEM_ACTIONS: Final = (
    _A.VIEW, _A.VIEW_SLA, _A.CLOSE, _A.ESCALATE, _A.COMMENT_INTERNAL, _A.SET_FIELDS, _A.TAG,
)  # fmt: skip
#: What staff may do on any ticket: open, read it and its SLA clocks.
_STAFF_READS: Final = (_A.OPEN, _A.VIEW, _A.VIEW_SLA, _A.EXPLAIN)
_REQUESTER: Final[dict[Permission, tuple[AccessRule, ...]]] = {
    _A.OPEN: (),
    _A.VIEW: (OWN,),
    _A.REPLY: (OWN,),
    _A.COMMENT_PUBLIC: (OWN,),
    _A.CANCEL: (OWN, EARLY),
    _A.WITHDRAW: (OWN, SERVICE_REQUESTS, EARLY),
    _A.CLOSE: (OWN, SETTLED),
    _A.REOPEN: (OWN, SETTLED),
    _A.FEEDBACK: (OWN, FEEDBACK_DUE),
}

#: The default table: role -> action -> the rules that must all pass. Not listed: refused.
#: An empty tuple allows the action on any ticket.
DEFAULT_RULES: Final[Mapping[Role, Mapping[Permission, tuple[AccessRule, ...]]]] = MappingProxyType(
    {
        Role.REQUESTER: MappingProxyType(_REQUESTER),
        Role.AGENT: MappingProxyType(
            {
                **dict.fromkeys(_STAFF_READS, ()),
                **dict.fromkeys(_AGENT_ACTIONS, _WORK),
                # Whoever was paged acknowledges, whichever group they are in.
                _A.ACKNOWLEDGE: (either(IN_THEIR_GROUPS, PAGED),),
            }
        ),
        Role.SUPERVISOR: MappingProxyType(
            {
                **dict.fromkeys(_STAFF_READS, ()),
                **dict.fromkeys((*_AGENT_ACTIONS, _A.OVERRIDE_PRIORITY, _A.ACKNOWLEDGE), ()),
            }
        ),
        # Approvers raise requests of their own too; on others' tickets they only decide.
        Role.APPROVER: MappingProxyType(
            {
                **_REQUESTER,
                _A.VIEW: (either(OWN, ASKED),),
                _A.APPROVE: (AWAITING_THEM,),
                _A.REJECT: (AWAITING_THEM,),
            }
        ),
        Role.ADMIN: MappingProxyType(dict.fromkeys(Permission, ())),
        # Time-based work: auto-close, escalation ticks and the notes they leave.
        Role.SYSTEM: MappingProxyType(
            # The system reads what it acts on: a command's result is the actor's view.
            dict.fromkeys(_SYSTEM_ACTIONS, ())
        ),
    }
)

_PLURAL: Final = {
    Role.REQUESTER: "requesters",
    Role.AGENT: "agents",
    Role.SUPERVISOR: "supervisors",
    Role.APPROVER: "approvers",
    Role.ADMIN: "admins",
    Role.SYSTEM: "the system",
}
# How each action reads with its object, so reasons are sentences.
_VERB: Final = {
    _A.OPEN: "open {}",
    _A.VIEW: "view {}",
    _A.VIEW_SLA: "read the SLA clocks of {}",
    _A.CLASSIFY: "classify {}",
    _A.ASSIGN: "assign {}",
    _A.START: "start work on {}",
    _A.REQUEST_INFO: "ask for information on {}",
    _A.REPLY: "reply on {}",
    _A.COMMENT_PUBLIC: "comment publicly on {}",
    _A.COMMENT_INTERNAL: "add internal notes to {}",
    _A.HOLD: "put {} on hold",
    _A.RESUME: "resume {}",
    _A.ESCALATE: "escalate {}",
    _A.RETURN_TO_FIRST_LINE: "return {} to the first line",
    _A.RESOLVE: "resolve {}",
    _A.CLOSE: "close {}",
    _A.FEEDBACK: "give feedback on {}",
    _A.REOPEN: "reopen {}",
    _A.CANCEL: "cancel {}",
    _A.MERGE: "merge {}",
    _A.SPLIT: "split {}",
    _A.LINK: "link {}",
    _A.OVERRIDE_PRIORITY: "override the priority of {}",
    _A.REQUEST_APPROVAL: "request approval for {}",
    _A.APPROVE: "approve {}",
    _A.REJECT: "reject {}",
    _A.WITHDRAW: "withdraw {}",
    _A.ACKNOWLEDGE: "acknowledge pages about {}",
    _A.EXPLAIN: "see why rules fired on {}",
    _A.SET_FIELDS: "set custom fields of {}",
    _A.TAG: "tag {}",
}

#: A table of rules: role -> action -> the rules that must all pass.
RuleTable = Mapping[Role, Mapping[Permission, tuple[AccessRule, ...]]]
_Entry = AccessRule | Iterable[AccessRule] | None


def _rules(value: object, where: tuple[str, ...]) -> tuple[AccessRule, ...]:
    items = (value,) if isinstance(value, AccessRule) else value
    if not isinstance(items, Iterable) or isinstance(items, str | bytes | Mapping):
        raise ConfigError(f"expected a AccessRule or a tuple of Rules, got {value!r}", path=where)
    rules = tuple(items)
    for rule in rules:
        if not isinstance(rule, AccessRule):
            raise ConfigError(f"expected a AccessRule, got {rule!r}", path=where)
    return rules


def _roles(
    value: Mapping[Role | str, Mapping[Permission | str, _Entry]],
) -> Iterator[tuple[Role, Iterator[tuple[Permission, _Entry]]]]:
    """
    Walk a role -> action -> rules mapping, checking the names; ConfigError names the bad one.
    """
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"rules must map roles to actions, got {type(value).__name__}", path=("rules",)
        )
    for role_name, actions in value.items():
        try:
            role = _checks.member("role", Role, role_name)
        except InvalidInput as error:
            raise ConfigError(str(error), path=("rules",)) from None
        if not isinstance(actions, Mapping):
            raise ConfigError(
                f"must map actions to rules, got {type(actions).__name__}", path=("rules", role)
            )
        yield role, _actions(role, actions)


def _actions(
    role: Role, actions: Mapping[Permission | str, _Entry]
) -> Iterator[tuple[Permission, _Entry]]:
    for action_name, rules in actions.items():
        try:
            action = _checks.member("action", Permission, action_name)
        except InvalidInput as error:
            raise ConfigError(str(error), path=("rules", role)) from None
        yield action, rules


def _table(
    value: Mapping[Role | str, Mapping[Permission | str, AccessRule | Iterable[AccessRule]]],
) -> RuleTable:
    table: dict[Role, Mapping[Permission, tuple[AccessRule, ...]]] = {}
    for role, actions in _roles(value):
        table[role] = MappingProxyType(
            {action: _rules(rules, ("rules", role, action)) for action, rules in actions}
        )
    return MappingProxyType(table)


def _check_callable(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise ConfigError(f"must be callable, got {value!r}", path=(attribute.name,))


@attrs.frozen
class DefaultAuthorization:
    """
    Default-deny authorization from a table of rules,
    [`DEFAULT_RULES`][deskflow.authorization.DEFAULT_RULES] unless given.

    Whatever the table says, nobody approves a request they raised or benefit from
    (``beneficiary`` finds who benefits; see
    [`deskflow.approval.beneficiary_of()`][deskflow.approval.beneficiary_of]).

    >>> from datetime import datetime, timezone
    >>> from deskflow import INCIDENT, Actor, Role
    >>> t = INCIDENT.open("T-1", title="VPN down", requester="ann",
    ...                   at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    >>> policy = DefaultAuthorization()
    >>> policy.authorize(Actor("bob", Role.REQUESTER), Permission.VIEW, t).reason
    'requesters may only view their own tickets'
    >>> policy.authorize(Actor("ann", Role.REQUESTER), Permission.RESOLVE, t).reason
    'requesters may not resolve tickets'
    """

    rules: RuleTable = attrs.field(default=DEFAULT_RULES, converter=_table)
    beneficiary: Callable[[Ticket], str | None] = attrs.field(
        default=beneficiary_of, kw_only=True, validator=_check_callable
    )

    def with_rules(
        self,
        changes: Mapping[
            Role | str, Mapping[Permission | str, AccessRule | Iterable[AccessRule] | None]
        ],
    ) -> DefaultAuthorization:
        """
        A copy with the actions of ``changes`` replaced role by role; None removes one.

        >>> policy = DefaultAuthorization().with_rules({"agent": {"override_priority": ()}})
        >>> Permission.OVERRIDE_PRIORITY in policy.rules[Role.AGENT]
        True
        """
        merged: dict[Role | str, dict[Permission | str, AccessRule | Iterable[AccessRule]]] = {
            role: dict(row.items()) for role, row in self.rules.items()
        }
        for role, actions in _roles(changes):
            row = merged.setdefault(role, {})
            for action, rules in actions:
                row.pop(action, None)
                if rules is not None:
                    row[action] = rules
        return attrs.evolve(self, rules=merged)

    def rules_for(self, role: Role, action: Permission) -> tuple[AccessRule, ...] | None:
        """
        The rules ``role`` must pass to do ``action``, or None if the table refuses it.
        """
        return self.rules.get(role, {}).get(action)

    def authorize(
        self, actor: Actor, action: Permission | str, ticket: Ticket | None
    ) -> AccessDecision:
        """
        Allow ``action`` if the table lists it for the actor's role and every rule passes.
        """
        if not isinstance(actor, Actor):
            raise InvalidInput(f"actor must be an Actor, got {type(actor).__name__}")
        action = _checks.member("action", Permission, action)
        if ticket is not None and not isinstance(ticket, Ticket):
            raise InvalidInput(f"ticket must be a Ticket or None, got {type(ticket).__name__}")
        plural, verb = _PLURAL[actor.role], _VERB[action]
        rules = self.rules_for(actor.role, action)
        if rules is None:
            return AccessDecision(False, f"{plural} may not {verb.format('tickets')}")
        if ticket is None:
            if action is Permission.OPEN:
                return AccessDecision(True, f"{plural} may {verb.format('tickets')}")
            return AccessDecision(False, f"{action} needs a ticket")
        if action is Permission.APPROVE:
            refusal = self._self_approval(actor, ticket)
            if refusal is not None:
                return AccessDecision(False, refusal)
        for rule in rules:
            if not rule.test(actor, ticket):
                return AccessDecision(False, f"{plural} may only {verb.format(rule.scope)}")
        if not rules:
            return AccessDecision(True, f"{plural} may {verb.format('any ticket')}")
        limits = "".join(f", limited to {rule.scope}" for rule in rules[1:])
        return AccessDecision(True, f"{plural} may {verb.format(rules[0].scope)}{limits}")

    def _self_approval(self, actor: Actor, ticket: Ticket) -> str | None:
        # Enforced outside the table so that no host table can allow it by accident.
        if actor.id == ticket.requester:
            return "nobody may approve their own request"
        if actor.id == self.beneficiary(ticket):
            return "nobody may approve a request they benefit from"
        return None

    def describe(self) -> Iterator[tuple[Role, Permission, str]]:
        """
        The table as (role, action, who/what it admits) rows, for docs and reviews.
        """
        for role in Role:
            row = self.rules.get(role, {})
            for action in Permission:
                if action in row:
                    yield role, action, " & ".join(r.scope for r in row[action]) or "no condition"
