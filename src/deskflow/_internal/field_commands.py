"""
The decisions of the custom-field and tag commands, re-exported by
[`deskflow.commands`][deskflow.commands] (``set_fields``, ``tag``): pure functions like the
others there, kept apart so that module stays one concept per screenful.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from deskflow._internal import checks as _checks
from deskflow.actors import Actor
from deskflow.desk import Desk
from deskflow.exceptions import InvalidInput, PermissionDenied
from deskflow.fields import FieldsChanged, FieldValue, TagsChanged, check_tags
from deskflow.ticket import Ticket
from deskflow.views import sees_internal

__all__ = ["set_fields", "tag"]


def _reason(desk: Desk, reason: str | None) -> str | None:
    if reason is None:
        return None
    return desk.limits.check("reason", _checks.text("reason", reason))


def field_changes(
    ticket: Ticket, actor: Actor, desk: Desk, values: object
) -> dict[str, FieldValue | None]:
    """
    The changes ``values`` (field name -> value, None to clear) make to ``ticket``'s custom
    fields, each value checked against its declaration in ``desk.fields`` and in canonical
    form; values equal to the current ones are left out. InvalidInput for an undeclared
    field or a bad value; PermissionDenied for someone other than staff setting a staff-only
    field.
    """
    if not isinstance(values, Mapping) or not values:
        raise InvalidInput(
            f"values must map custom field names to values (None clears one), got {values!r}"
        )
    changes: dict[str, FieldValue | None] = {}
    for name, value in values.items():
        spec = desk.fields.get(name) if isinstance(name, str) else None
        if spec is None:
            known = ", ".join(sorted(desk.fields)) or "none: this desk declares no fields"
            raise InvalidInput(f"unknown custom field {name!r}; known: {known}")
        if spec.staff_only and not sees_internal(actor):
            raise PermissionDenied(f"{actor.role}s may not set the staff-only field {name!r}")
        checked = None if value is None else spec.check(value)
        if name in ticket.fields if checked is None else ticket.fields.get(name) != checked:
            changes[name] = checked
    return changes


def set_fields(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    values: Mapping[str, object],
    reason: str | None = None,
) -> Ticket:
    """
    Set (or, with None, clear) custom fields the desk declares, recorded as one
    [`FieldsChanged`][deskflow.fields.FieldsChanged] of what actually changes (nothing
    recorded if nothing does). Each value is checked by its field (``CustomField.check``);
    an undeclared field is InvalidInput naming the known ones. The entry is staff-only
    when it changes a staff-only field, which only staff may set.
    """
    reason = _reason(desk, reason)
    changes = field_changes(ticket, actor, desk, values)
    if not changes:
        return ticket
    staff_only = any(desk.fields[name].staff_only for name in changes)
    return ticket.record(
        FieldsChanged(at=now, actor=actor.id, changes=changes, reason=reason, staff_only=staff_only)
    )


def tag(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    add: Iterable[str] | str = (),
    remove: Iterable[str] | str = (),
    reason: str | None = None,
) -> Ticket:
    """
    Add tags to and remove tags from the ticket, recorded as one
    [`TagsChanged`][deskflow.fields.TagsChanged] of what actually changes (nothing recorded
    if nothing does). Tags are staff-only: only staff tag. A tag both added and removed is
    InvalidInput.
    """
    if not sees_internal(actor):
        raise PermissionDenied(f"{actor.role}s may not tag tickets: tags are staff-only")
    added, removed = check_tags("add", add), check_tags("remove", remove)
    if not added and not removed:
        raise InvalidInput("tag needs tags to add or to remove")
    both = sorted(set(added) & set(removed))
    if both:
        raise InvalidInput(f"tags both added and removed: {', '.join(both)}")
    reason = _reason(desk, reason)
    added = tuple(t for t in added if t not in ticket.tags)
    removed = tuple(t for t in removed if t in ticket.tags)
    if not added and not removed:
        return ticket
    return ticket.record(
        TagsChanged(at=now, actor=actor.id, added=added, removed=removed, reason=reason)
    )
