"""
Applying a macro: its steps in order, each authorized for the actor and decided by the
command's own decision in [`deskflow.commands`][deskflow.commands], as ONE decision.

A step is the decision its command names (``override_priority`` is ``set_priority``) with
the step's options; a ``text`` option is the desk text of that name, filled from the ticket
as it is when the step runs. Before each step the actor is authorized for it on the ticket
as the steps before left it, and a final ticket refuses it as
[`refuse_final`][deskflow.commands.refuse_final] does. Any refusal refuses the whole macro,
and, the decisions being pure, nothing of it remains.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import datetime

from deskflow import commands
from deskflow._internal import checks as _checks
from deskflow._internal.macro_checks import STEPS, TEXT, step_permission, step_problems
from deskflow.actors import Actor
from deskflow.authorization import require
from deskflow.desk import Desk
from deskflow.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from deskflow.macros import Macro, MacroStep
from deskflow.texts import render_text
from deskflow.ticket import Ticket

__all__ = ["decision_of", "find_macro", "run_macro"]

#: Macro commands whose decision has another name.
_RENAMED = {"override_priority": "set_priority"}


def decision_of(command: str) -> Callable[..., Ticket]:
    """
    The decision of [`deskflow.commands`][deskflow.commands] that macro command ``command``
    runs.
    """
    decision: Callable[..., Ticket] = getattr(commands, _RENAMED.get(command, command))
    return decision


def find_macro(desk: Desk, name: object) -> Macro:
    """
    The desk's macro ``name``, or InvalidInput naming the macros it has.
    """
    name = _checks.text("macro", name)
    macro = desk.macros.get(name)
    if macro is None:
        known = sorted(desk.macros)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        listed = ", ".join(known) if known else "none"
        raise InvalidInput(f"unknown macro {name!r}{hint}; this desk's macros: {listed}")
    return macro


def _apply_step(
    ticket: Ticket, actor: Actor, desk: Desk, now: datetime, step: MacroStep, authorize: bool
) -> Ticket:
    permission = step_permission(step)
    if authorize:
        require(desk.authorization, actor, permission, ticket)
    commands.refuse_final(desk, ticket, permission)
    options = dict(step.options)
    body = STEPS[step.command].text_for
    if body is not None and TEXT in options:
        text = desk.texts[str(options.pop(TEXT))]
        options[body] = render_text(text, ticket, desk.fields)
    return decision_of(step.command)(ticket, actor, desk, now, **options)


def run_macro(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    macro: str,
    authorize: bool = True,
) -> Ticket:
    """
    ``ticket`` after every step of the desk's macro ``macro``, as ``actor`` (see
    [`commands.apply_macro`][deskflow.commands.apply_macro]). A refused step raises its
    error, its message prefixed with the macro and the step (counted from 1).
    """
    found = find_macro(desk, macro)
    problems = [
        f"step {index + 1}: {message}"
        for index, step in enumerate(found.steps)
        for _path, message in step_problems(step, desk.texts)
    ]
    if problems or not found.steps:
        raise InvalidInput(
            f"macro {found.name!r} cannot run: {'; '.join(problems) or 'it has no steps'}"
        )
    for index, step in enumerate(found.steps):
        try:
            ticket = _apply_step(ticket, actor, desk, now, step, authorize)
        except (InvalidInput, InvalidTransition, PermissionDenied) as error:
            # Same error, same fields: only the message says where in the macro it stopped.
            where = f"macro {found.name!r}, step {index + 1} ({step.command})"
            said = error.args[0] if error.args else ""
            error.args = (f"{where}: {said}", *error.args[1:])
            raise
    return ticket
