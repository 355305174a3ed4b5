"""
The read projection: what each actor sees of a ticket, and the helpers notifications and
exports filter through.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import timedelta
from types import ModuleType

import pytest

import deskflow.approval
import deskflow.authorization
import deskflow.views
from builders import ADA, ANN, LEE, MAX, SAM, T0, ZOE
from deskflow import INCIDENT, SERVICE_REQUEST, Role, Ticket, Trigger
from deskflow.authorization import DefaultAuthorization, Permission
from deskflow.enums import Visibility
from deskflow.events import ApprovalRequested, CommentAdded, Escalated, NotificationQueued
from deskflow.exceptions import InvalidInput, PermissionDenied
from deskflow.views import (
    STAFF,
    TicketView,
    audience_may_see,
    sees_internal,
    visible,
    visible_comments,
    visible_events,
)


def worked() -> Ticket:
    """
    Ann's incident with a public reply, an internal note, an escalation notice and two
    notifications (one to staff only), in that order.
    """
    t = INCIDENT.open("T-1", title="VPN down", requester=ANN, at=T0)
    t = INCIDENT.fire(t, Trigger.ASSIGN, actor=LEE, at=T0, group="service-desk", assignee="lee")
    t = t.record(CommentAdded(at=T0, actor="lee", body="Looking into it"))
    t = t.record(
        CommentAdded(
            at=T0 + timedelta(minutes=5),
            actor="lee",
            body="Ann's laptop is on the old VPN client again",
            visibility=Visibility.INTERNAL,
        )
    )
    t = t.record(
        Escalated(at=T0 + timedelta(minutes=6), actor="system", notified=("sam",), reason="P2")
    )
    t = t.record(
        NotificationQueued(
            at=T0 + timedelta(minutes=7),
            actor="system",
            dedup_key="k1",
            recipients=("sam",),
            template="breach",
            internal_only=True,
        )
    )
    return t


def test_requesters_see_no_internal_comment_or_event() -> None:
    """
    A requester's view drops internal notes and staff-only events and keeps the rest.
    """
    t = worked()
    view = visible(ANN, t)
    assert ["Looking into it"] == [c.body for c in view.comments]
    assert [t.history[0], t.history[1], t.history[2]] == list(view.history)
    assert not view.includes_internal


def test_staff_see_everything() -> None:
    """
    Agents, supervisors and admins see every comment and every event.
    """
    t = worked()
    for actor in (LEE, SAM, ADA):
        view = visible(actor, t)
        assert (t.comments, t.history, True) == (
            view.comments,
            view.history,
            view.includes_internal,
        )


def test_the_view_carries_the_public_fields() -> None:
    """
    The projection copies the ticket's fields; only comments and history are filtered.
    """
    t = worked()
    view = visible(ANN, t)
    assert (t.id, t.title, t.state, t.group, t.assignee, t.requester, t.created_at) == (
        view.id,
        view.title,
        view.state,
        view.group,
        view.assignee,
        view.requester,
        view.created_at,
    )


def test_an_internal_note_does_not_show_as_activity() -> None:
    """
    A requester's updated_at is the time of the last change they can see.
    """
    t = worked()
    assert T0 == visible(ANN, t).updated_at
    assert T0 + timedelta(minutes=7) == visible(LEE, t).updated_at


def test_approvers_are_not_staff() -> None:
    """
    An approver asked to decide a request sees it without its internal notes.
    """
    t = SERVICE_REQUEST.open("R-1", title="New laptop", requester=ANN, at=T0)
    t = t.record(CommentAdded(at=T0, actor="lee", body="budget?", visibility=Visibility.INTERNAL))
    t = t.record(ApprovalRequested(at=T0, actor="ann", approvers=("max",)))
    assert () == visible(MAX, t).comments


def test_someone_elses_ticket_is_refused() -> None:
    """
    visible() raises PermissionDenied for an actor who may not view the ticket at all.
    """
    with pytest.raises(PermissionDenied, match="requesters may only view their own tickets"):
        visible(ZOE, worked())
    with pytest.raises(PermissionDenied, match="approvers may only view"):
        visible(MAX, worked())


def test_the_host_policy_decides_who_views() -> None:
    """
    visible() asks the policy it is given.
    """
    policy = DefaultAuthorization().with_rules({Role.REQUESTER: {Permission.VIEW: ()}})
    assert "T-1" == visible(ZOE, worked(), policy=policy).id


def test_notifications_filter_through_the_same_rule() -> None:
    """
    audience_may_see and visible_events agree with the projection for every event.
    """
    t = worked()
    for audience in Role:
        assert tuple(e for e in t.history if audience_may_see(audience, e)) == (
            visible_events(audience, t.history)
        )
    assert visible(ANN, t).history == visible_events(Role.REQUESTER, t.history)
    assert visible(ANN, t).comments == visible_comments("requester", t.comments)
    assert visible(LEE, t).history == visible_events(LEE, t.history)


def test_staff_roles() -> None:
    """
    Agents, supervisors, admins and the system are staff; requesters and approvers are not.
    """
    assert {Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM} == STAFF
    assert [False, True, True, False, True, True] == [sees_internal(r) for r in Role]


def test_views_are_frozen() -> None:
    """
    A view cannot be changed after the fact.
    """
    view = visible(ANN, worked())
    assert isinstance(view, TicketView)
    with pytest.raises(AttributeError):
        view.title = "hacked"  # type: ignore[misc]


# Wrong types on purpose (hence the type: ignores): each case checks a run-time refusal.
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: visible("ann", t), "actor must be an Actor"),  # type: ignore[arg-type]
        (lambda t: visible(ANN, "T-1"), "ticket must be a Ticket"),  # type: ignore[arg-type]
        (lambda t: audience_may_see("wizard", t.history[0]), "audience must be one of"),
        (lambda t: audience_may_see("agent", "opened"), "expected a deskflow Event"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_invalid_input(call: Callable[[Ticket], object], message: str) -> None:
    """
    Wrong types and unknown audiences raise InvalidInput.
    """
    with pytest.raises(InvalidInput, match=message):
        call(worked())


@pytest.mark.parametrize(
    "module",
    [deskflow.authorization, deskflow.approval, deskflow.views],
    ids=lambda m: m.__name__,
)
def test_all_lists_the_public_names(module: ModuleType) -> None:
    """
    Each module's __all__ lists every public class and function it defines.
    """
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }
    assert defined == defined & set(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)
