"""
Authorization: the default-deny table, role by role and action by action, its reasons, and
how a host overrides it.
"""

from __future__ import annotations

import pytest

from builders import ADA, ANN, LEE, MAX, T0
from deskflow import INCIDENT, SERVICE_REQUEST, Actor, Role, Ticket, Trigger
from deskflow.authorization import (
    DEFAULT_RULES,
    AccessDecision,
    AccessRule,
    DefaultAuthorization,
    Permission,
    action_for,
    either,
    in_states,
    require,
)
from deskflow.events import ApprovalRequested
from deskflow.exceptions import ConfigError, InvalidInput, PermissionDenied

POLICY = DefaultAuthorization()
ACTORS = {
    Role.REQUESTER: ANN,
    Role.AGENT: LEE,
    # Not builders.SAM: this supervisor is of the network group only (see TABLE).
    Role.SUPERVISOR: Actor("sam", Role.SUPERVISOR, groups={"network"}),
    Role.APPROVER: MAX,
    Role.ADMIN: ADA,
    Role.SYSTEM: Actor("system", Role.SYSTEM),
}


def incident(
    requester: str, *, group: str = "service-desk", tier: int = 1, resolved: bool = False
) -> Ticket:
    t = INCIDENT.open("T-1", title="VPN down", requester=requester, at=T0, group=group, tier=tier)
    if resolved:
        t = INCIDENT.fire(t, Trigger.RESOLVE, actor=ADA, at=T0, resolution="Rebooted")
    return t


def request(requester: str, approver: str, **details: str) -> Ticket:
    t = SERVICE_REQUEST.open("R-1", title="New laptop", requester=requester, at=T0)
    t = SERVICE_REQUEST.fire(t, Trigger.REQUEST_APPROVAL, actor=ADA, at=T0, **details)
    return t.record(ApprovalRequested(at=T0, actor="system", approvers=(approver, "mia")))


def situations(actor: Actor) -> list[Ticket | None]:
    """
    The columns of TABLE, as seen by ``actor``.
    """
    me = actor.id
    return [
        incident(me),  # own incident, new, in the service-desk group at tier 1
        incident(me, resolved=True),  # own incident, resolved
        request(me, me),  # own request awaiting approval, the actor among the approvers
        incident("zoe"),  # someone else's incident in the service-desk group at tier 1
        incident("zoe", group="network"),  # someone else's, in the network group
        incident("zoe", tier=2),  # someone else's, service-desk group at tier 2
        request("zoe", me),  # someone else's request awaiting the actor's approval
        None,  # no ticket (opening one)
    ]


# Columns: own new | own resolved | own request awaiting the actor | other's in service-desk
# | other's in network | other's at tier 2 | other's request awaiting the actor | no ticket.
# The agent is lee (tier 1, service-desk), the supervisor sam (network, no tier).
TABLE = {
    Role.REQUESTER: {
        "open": "YYYYYYYY",
        "view": "YYY.....",
        "view_sla": "........",
        "explain": "........",
        "classify": "........",
        "assign": "........",
        "start": "........",
        "request_info": "........",
        "reply": "YYY.....",
        "comment_public": "YYY.....",
        "comment_internal": "........",
        "hold": "........",
        "resume": "........",
        "escalate": "........",
        "return_to_first_line": "........",
        "resolve": "........",
        "close": ".Y......",
        "feedback": ".Y......",
        "reopen": ".Y......",
        "cancel": "Y.Y.....",
        "merge": "........",
        "split": "........",
        "link": "........",
        "override_priority": "........",
        "request_approval": "........",
        "approve": "........",
        "reject": "........",
        "withdraw": "..Y.....",
        "acknowledge": "........",
        "set_fields": "........",
        "tag": "........",
    },
    Role.AGENT: {
        "open": "YYYYYYYY",
        "view": "YYYYYYY.",
        "view_sla": "YYYYYYY.",
        "explain": "YYYYYYY.",
        "classify": "YYYY..Y.",
        "assign": "YYYY..Y.",
        "start": "YYYY..Y.",
        "request_info": "YYYY..Y.",
        "reply": "........",
        "comment_public": "YYYY..Y.",
        "comment_internal": "YYYY..Y.",
        "hold": "YYYY..Y.",
        "resume": "YYYY..Y.",
        "escalate": "YYYY..Y.",
        "return_to_first_line": "YYYY..Y.",
        "resolve": "YYYY..Y.",
        "close": "YYYY..Y.",
        "feedback": "........",
        "reopen": "YYYY..Y.",
        "cancel": "YYYY..Y.",
        "merge": "YYYY..Y.",
        "split": "YYYY..Y.",
        "link": "YYYY..Y.",
        "override_priority": "........",
        "request_approval": "YYYY..Y.",
        "approve": "........",
        "reject": "........",
        "withdraw": "........",
        "acknowledge": "YYYY.YY.",
        "set_fields": "YYYY..Y.",
        "tag": "YYYY..Y.",
    },
    Role.SUPERVISOR: {
        "open": "YYYYYYYY",
        "view": "YYYYYYY.",
        "view_sla": "YYYYYYY.",
        "explain": "YYYYYYY.",
        "classify": "YYYYYYY.",
        "assign": "YYYYYYY.",
        "start": "YYYYYYY.",
        "request_info": "YYYYYYY.",
        "reply": "........",
        "comment_public": "YYYYYYY.",
        "comment_internal": "YYYYYYY.",
        "hold": "YYYYYYY.",
        "resume": "YYYYYYY.",
        "escalate": "YYYYYYY.",
        "return_to_first_line": "YYYYYYY.",
        "resolve": "YYYYYYY.",
        "close": "YYYYYYY.",
        "feedback": "........",
        "reopen": "YYYYYYY.",
        "cancel": "YYYYYYY.",
        "merge": "YYYYYYY.",
        "split": "YYYYYYY.",
        "link": "YYYYYYY.",
        "override_priority": "YYYYYYY.",
        "request_approval": "YYYYYYY.",
        "approve": "........",
        "reject": "........",
        "withdraw": "........",
        "acknowledge": "YYYYYYY.",
        "set_fields": "YYYYYYY.",
        "tag": "YYYYYYY.",
    },
    Role.APPROVER: {
        "open": "YYYYYYYY",
        "view": "YYY...Y.",
        "view_sla": "........",
        "explain": "........",
        "classify": "........",
        "assign": "........",
        "start": "........",
        "request_info": "........",
        "reply": "YYY.....",
        "comment_public": "YYY.....",
        "comment_internal": "........",
        "hold": "........",
        "resume": "........",
        "escalate": "........",
        "return_to_first_line": "........",
        "resolve": "........",
        "close": ".Y......",
        "feedback": ".Y......",
        "reopen": ".Y......",
        "cancel": "Y.Y.....",
        "merge": "........",
        "split": "........",
        "link": "........",
        "override_priority": "........",
        "request_approval": "........",
        "approve": "......Y.",
        "reject": "..Y...Y.",
        "withdraw": "..Y.....",
        "acknowledge": "........",
        "set_fields": "........",
        "tag": "........",
    },
    Role.ADMIN: {
        "open": "YYYYYYYY",
        "view": "YYYYYYY.",
        "view_sla": "YYYYYYY.",
        "explain": "YYYYYYY.",
        "classify": "YYYYYYY.",
        "assign": "YYYYYYY.",
        "start": "YYYYYYY.",
        "request_info": "YYYYYYY.",
        "reply": "YYYYYYY.",
        "comment_public": "YYYYYYY.",
        "comment_internal": "YYYYYYY.",
        "hold": "YYYYYYY.",
        "resume": "YYYYYYY.",
        "escalate": "YYYYYYY.",
        "return_to_first_line": "YYYYYYY.",
        "resolve": "YYYYYYY.",
        "close": "YYYYYYY.",
        "feedback": "YYYYYYY.",
        "reopen": "YYYYYYY.",
        "cancel": "YYYYYYY.",
        "merge": "YYYYYYY.",
        "split": "YYYYYYY.",
        "link": "YYYYYYY.",
        "override_priority": "YYYYYYY.",
        "request_approval": "YYYYYYY.",
        "approve": "...YYYY.",
        "reject": "YYYYYYY.",
        "withdraw": "YYYYYYY.",
        "acknowledge": "YYYYYYY.",
        "set_fields": "YYYYYYY.",
        "tag": "YYYYYYY.",
    },
    Role.SYSTEM: {
        "open": "........",
        "view": "YYYYYYY.",
        "view_sla": "YYYYYYY.",
        "explain": "........",
        "classify": "........",
        "assign": "........",
        "start": "........",
        "request_info": "........",
        "reply": "........",
        "comment_public": "........",
        "comment_internal": "YYYYYYY.",
        "hold": "........",
        "resume": "........",
        "escalate": "YYYYYYY.",
        "return_to_first_line": "........",
        "resolve": "........",
        "close": "YYYYYYY.",
        "feedback": "........",
        "reopen": "........",
        "cancel": "........",
        "merge": "........",
        "split": "........",
        "link": "........",
        "override_priority": "........",
        "request_approval": "........",
        "approve": "........",
        "reject": "........",
        "withdraw": "........",
        "acknowledge": "........",
        "set_fields": "YYYYYYY.",
        "tag": "YYYYYYY.",
    },
}


@pytest.mark.parametrize(
    ("role", "action"), [(role, action) for role in Role for action in Permission]
)
def test_default_table(role: Role, action: Permission) -> None:
    """
    Every role x action x situation decides as the written-out table says.
    """
    actor = ACTORS[role]
    actual = "".join(
        "Y" if POLICY.authorize(actor, action, t).allowed else "." for t in situations(actor)
    )
    assert TABLE[role][action] == actual


def test_table_covers_every_role_and_action() -> None:
    """
    The written-out table lists every role and every action, so none goes unchecked.
    """
    assert {(r, a) for r in Role for a in Permission} == {
        (r, a) for r, row in TABLE.items() for a in row
    }


def test_refusals_are_sentences() -> None:
    """
    A refusal says who may do what, in words.
    """
    ann, lee = ACTORS[Role.REQUESTER], ACTORS[Role.AGENT]
    assert "requesters may only view their own tickets" == (
        POLICY.authorize(ann, Permission.VIEW, incident("zoe")).reason
    )
    assert "requesters may not resolve tickets" == (
        POLICY.authorize(ann, Permission.RESOLVE, incident("ann")).reason
    )
    assert (
        "requesters may only cancel tickets that are approved, assigned, awaiting_approval, "
        "new or submitted"
    ) == POLICY.authorize(ann, Permission.CANCEL, incident("ann", resolved=True)).reason
    assert "agents may only put tickets at or below their tier on hold" == (
        POLICY.authorize(lee, Permission.HOLD, incident("zoe", tier=2)).reason
    )
    assert "view needs a ticket" == POLICY.authorize(lee, Permission.VIEW, None).reason
    assert "the system may not resolve tickets" == (
        POLICY.authorize(ACTORS[Role.SYSTEM], Permission.RESOLVE, incident("zoe")).reason
    )


def test_allowed_decisions_say_why() -> None:
    """
    An allowed decision names the rules it passed.
    """
    lee = ACTORS[Role.AGENT]
    assert AccessDecision(
        True,
        "agents may resolve tickets of their groups, with no group or assigned to them, "
        "limited to tickets at or below their tier",
    ) == POLICY.authorize(lee, Permission.RESOLVE, incident("zoe"))
    assert AccessDecision(True, "agents may view any ticket") == POLICY.authorize(
        lee, Permission.VIEW, incident("zoe", group="network")
    )
    assert AccessDecision(True, "agents may open tickets") == POLICY.authorize(
        lee, Permission.OPEN, None
    )


def test_agents_work_tickets_assigned_to_them_outside_their_groups() -> None:
    """
    A ticket assigned to an agent personally is theirs to work, whatever its group.
    """
    lee = ACTORS[Role.AGENT]
    t = INCIDENT.fire(
        incident("zoe", group="network"), Trigger.ASSIGN, actor=ADA, at=T0, assignee="lee"
    )
    assert POLICY.authorize(lee, Permission.RESOLVE, t).allowed


def test_agents_without_a_tier_work_every_tier() -> None:
    """
    The tier limit applies only to agents that have a tier.
    """
    kim = Actor("kim", Role.AGENT, groups={"service-desk"})
    assert POLICY.authorize(kim, Permission.RESOLVE, incident("zoe", tier=3)).allowed


def test_beneficiary_may_reject_but_not_approve() -> None:
    """
    The person a request is for may not approve it, even when asked; rejecting stays open.
    """
    bob = Actor("bob", Role.APPROVER)
    t = request("zoe", "bob", beneficiary="bob")
    assert AccessDecision(False, "nobody may approve a request they benefit from") == (
        POLICY.authorize(bob, Permission.APPROVE, t)
    )
    assert POLICY.authorize(bob, Permission.REJECT, t).allowed


def test_beneficiary_resolver_is_the_hosts_to_choose() -> None:
    """
    A host that keeps the beneficiary elsewhere passes its own resolver.
    """
    policy = DefaultAuthorization(beneficiary=lambda _t: "max")
    assert not policy.authorize(
        ACTORS[Role.APPROVER], Permission.APPROVE, request("zoe", "max")
    ).allowed


def test_approvers_may_not_decide_once_they_decided() -> None:
    """
    An approver who already decided no longer awaits, so may not decide again.
    """
    from deskflow.events import ApprovalDecided

    t = request("zoe", "max").record(ApprovalDecided(at=T0, actor="max", approved=True))
    assert "approvers may only approve requests awaiting their approval" == (
        POLICY.authorize(ACTORS[Role.APPROVER], Permission.APPROVE, t).reason
    )
    assert POLICY.authorize(ACTORS[Role.APPROVER], Permission.VIEW, t).allowed


def test_require_raises_permission_denied_with_the_reason() -> None:
    """
    require() returns an allowed decision and raises PermissionDenied for a refusal.
    """
    ann = ACTORS[Role.REQUESTER]
    assert require(POLICY, ann, Permission.VIEW, incident("ann")).allowed
    with pytest.raises(PermissionDenied, match="requesters may only view their own tickets"):
        require(POLICY, ann, Permission.VIEW, incident("zoe"))
    with pytest.raises(PermissionError):
        require(POLICY, ann, Permission.RESOLVE, incident("ann"))


def test_a_host_table_replaces_the_default() -> None:
    """
    A host passes its own table; what it does not list is refused.
    """
    weekday = AccessRule("tickets logged on a weekday", lambda _a, t: t.created_at.weekday() < 5)
    policy = DefaultAuthorization({"agent": {"view": weekday, Permission.RESOLVE: ()}})
    lee = ACTORS[Role.AGENT]
    assert policy.authorize(lee, "resolve", incident("zoe", group="network")).allowed
    assert policy.authorize(lee, Permission.VIEW, incident("zoe")).allowed
    assert "agents may not assign tickets" == (
        policy.authorize(lee, Permission.ASSIGN, incident("zoe")).reason
    )
    assert "requesters may not view tickets" == (
        policy.authorize(ACTORS[Role.REQUESTER], Permission.VIEW, incident("ann")).reason
    )


def test_with_rules_adds_and_removes_actions() -> None:
    """
    with_rules() changes single actions of the default table and leaves the rest.
    """
    policy = POLICY.with_rules(
        {
            Role.AGENT: {Permission.OVERRIDE_PRIORITY: (), Permission.MERGE: None},
            "system": {"view": None},
        }
    )
    lee = ACTORS[Role.AGENT]
    assert policy.authorize(lee, Permission.OVERRIDE_PRIORITY, incident("zoe")).allowed
    assert not policy.authorize(lee, Permission.MERGE, incident("zoe")).allowed
    assert not policy.authorize(ACTORS[Role.SYSTEM], Permission.VIEW, incident("zoe")).allowed
    unchanged = {a: r for a, r in DEFAULT_RULES[Role.AGENT].items() if a is not Permission.MERGE}
    assert unchanged | {Permission.OVERRIDE_PRIORITY: ()} == dict(policy.rules[Role.AGENT])
    assert DEFAULT_RULES == POLICY.rules


def test_subclasses_may_refine_the_decision() -> None:
    """
    A subclass overrides rules_for to compute rules the table cannot express.
    """

    class FrozenOnFridays(DefaultAuthorization):
        def rules_for(self, role: Role, action: Permission) -> tuple[AccessRule, ...] | None:
            if action is Permission.ASSIGN:
                return None
            return super().rules_for(role, action)

    assert not FrozenOnFridays().authorize(ADA, Permission.ASSIGN, incident("zoe")).allowed


def test_combinators_describe_themselves() -> None:
    """
    either() and in_states() build rules whose scope reads as a phrase.
    """
    rule = either(in_states("new"), in_states("resolved", "closed"))
    assert "tickets that are new or tickets that are closed or resolved" == rule.scope
    assert rule.test(ADA, incident("zoe"))
    assert not rule.test(ADA, request("zoe", "max"))


def test_describe_lists_the_table() -> None:
    """
    describe() yields one row per allowed role and action, for docs and reviews.
    """
    rows = list(POLICY.describe())
    assert (Role.REQUESTER, Permission.VIEW, "their own tickets") in rows
    assert (Role.SYSTEM, Permission.CLOSE, "no condition") in rows
    assert sum(len(row) for row in DEFAULT_RULES.values()) == len(rows)


def test_action_for_maps_workflow_triggers() -> None:
    """
    Each built-in trigger needs the action of the same name; fulfil needs resolve.
    """
    assert {t: Permission(t.value) for t in Trigger if t is not Trigger.FULFIL} | {
        Trigger.FULFIL: Permission.RESOLVE
    } == {t: action_for(t) for t in Trigger}
    with pytest.raises(InvalidInput, match="trigger must be one of"):
        action_for("dance")


@pytest.mark.parametrize(
    ("actor", "action", "ticket", "message"),
    [
        ("ann", Permission.VIEW, None, "actor must be an Actor"),
        (ADA, "dance", None, "action must be one of"),
        (ADA, Permission.VIEW, "T-1", "ticket must be a Ticket or None"),
    ],
)
def test_bad_arguments_are_invalid_input(
    actor: object, action: object, ticket: object, message: str
) -> None:
    """
    A wrong actor, action or ticket type raises InvalidInput, not a bare TypeError.
    """
    with pytest.raises(InvalidInput, match=message):
        POLICY.authorize(actor, action, ticket)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"wizard": {}}, "role must be one of"),
        ({"agent": {"dance": ()}}, "rules.agent: action must be one of"),
        ({"agent": {"view": "everyone"}}, r"rules.agent.view: expected a AccessRule"),
        ({"agent": {"view": ("everyone",)}}, r"rules.agent.view: expected a AccessRule"),
        ({"agent": {"view": None}}, r"rules.agent.view: expected a AccessRule"),
        ({"agent": ["view"]}, "must map actions to rules"),
        (["agent"], "rules must map roles to actions"),
    ],
)
def test_bad_tables_are_config_errors(rules: object, message: str) -> None:
    """
    A table naming unknown roles or actions, or holding non-rules, is a ConfigError.
    """
    with pytest.raises(ConfigError, match=message):
        DefaultAuthorization(rules)  # type: ignore[arg-type]


def test_beneficiary_must_be_callable() -> None:
    """
    A beneficiary resolver that cannot be called is a ConfigError.
    """
    with pytest.raises(ConfigError, match="beneficiary: must be callable"):
        DefaultAuthorization(beneficiary="bob")  # type: ignore[arg-type]
