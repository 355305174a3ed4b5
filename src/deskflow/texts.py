"""
A desk's text templates: the replies and notes that rules and macros add to tickets.

A text is a ``string.Template`` (``$name`` or ``${name}``), filled only from what the
requester may see of the ticket (its id, title, state, priority, group, assignee, category,
service, resolution, the requester's id and the custom fields that are not staff-only, as
``field_<name>``), so a text a rule adds as a public reply cannot reveal an internal note
or a staff-only field. A text that names anything else is refused when the desk is built.

>>> from datetime import datetime, timezone
>>> from deskflow import INCIDENT
>>> ticket = INCIDENT.open("INC-7", title="VPN down", requester="ann",
...                        at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
>>> render_text("Hello $requester, we are still waiting for your answer on $id.", ticket)
'Hello ann, we are still waiting for your answer on INC-7.'
>>> check_text("reminder", "Dear $name")
Traceback (most recent call last):
...
deskflow.exceptions.ConfigError: texts.reminder: unknown variable $name; known: ...
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

from deskflow.exceptions import ConfigError
from deskflow.fields import CustomField
from deskflow.ticket import Ticket

__all__ = ["TEXT_VARIABLES", "check_text", "render_text"]

#: The variables every text may use (and ``field_<name>`` for each public custom field).
TEXT_VARIABLES: tuple[str, ...] = (
    "id",
    "title",
    "requester",
    "state",
    "priority",
    "group",
    "assignee",
    "category",
    "service",
    "resolution",
)


def _public_fields(fields: Mapping[str, CustomField]) -> Iterable[str]:
    return (f"field_{name}" for name, spec in fields.items() if not spec.staff_only)


def check_text(
    name: str, text: str, fields: Mapping[str, CustomField] | None = None
) -> string.Template:
    """
    The template of text ``name``, or a ConfigError (path ``texts.<name>``) for bad syntax
    or a variable it may not use.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("a text must be a non-empty string", path=("texts", name))
    template = string.Template(text)
    if not template.is_valid():
        raise ConfigError(
            "bad placeholder: write $name or ${name}, and $$ for a dollar sign",
            path=("texts", name),
        )
    known = {*TEXT_VARIABLES, *_public_fields(fields or {})}
    for variable in template.get_identifiers():
        if variable not in known:
            raise ConfigError(
                f"unknown variable ${variable}; known: {', '.join(sorted(known))}",
                path=("texts", name),
            )
    return template


def render_text(text: str, ticket: Ticket, fields: Mapping[str, CustomField] | None = None) -> str:
    """
    ``text`` filled from what the requester may see of ``ticket`` (an unset value is empty).
    """
    values: dict[str, object] = {
        "id": ticket.id,
        "title": ticket.title,
        "requester": ticket.requester,
        "state": ticket.state,
        "priority": ticket.priority,
        "group": ticket.group,
        "assignee": ticket.assignee,
        "category": ticket.category,
        "service": ticket.service,
        "resolution": ticket.resolution,
    }
    for name, spec in (fields or {}).items():
        if not spec.staff_only:
            value = ticket.fields.get(name)
            values[f"field_{name}"] = ", ".join(value) if isinstance(value, tuple) else value
    filled = {k: "" if v is None else str(v) for k, v in values.items()}
    return string.Template(text).safe_substitute(filled)
