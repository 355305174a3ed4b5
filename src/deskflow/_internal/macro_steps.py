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
from collections.abc import Callable, Mapping
from datetime import datetime

from deskflow._internal import checks as _checks
from deskflow._internal.macro_checks import STEPS, TEXT, step_permission, step_problems
from deskflow.actors import Actor
from deskflow.authorization import require
from deskflow.desk import Desk
from deskflow.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from deskflow.macros import Macro, MacroStep
from deskflow.texts import render_text
from deskflow.ticket import Ticket

__all__ = ["find_macro", "run_macro"]

#: Macro commands whose decision has another name.
_RENAMED = {"override_priority": "set_priority"}


def _decision(decisions: Mapping[str, object], command: str) -> Callable[..., Ticket]:
    decision = decisions[_RENAMED.get(command, command)]
    assert callable(decision), command
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
    decisions: Mapping[str, object],
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    step: MacroStep,
    authorize: bool,
) -> Ticket:
    permission = step_permission(step)
    if authorize:
        require(desk.authorization, actor, permission, ticket)
    _decision(decisions, "refuse_final")(desk, ticket, permission)
    options = dict(step.options)
    body = STEPS[step.command].text_for
    if body is not None and TEXT in options:
        text = desk.texts[str(options.pop(TEXT))]
        options[body] = render_text(text, ticket, desk.fields)
    return _decision(decisions, step.command)(ticket, actor, desk, now, **options)


def run_macro(
    decisions: Mapping[str, object],
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    macro: str,
    authorize: bool = True,
) -> Ticket:
    """
    [`commands.apply_macro`][deskflow.commands.apply_macro], given ``decisions``, the
    decisions of [`deskflow.commands`][deskflow.commands] by name (which this module does
    not import: the commands import it).

    The desk's macro ``macro`` applied step by step as ``actor``: each step authorized on
    the ticket the steps before it left, and refused on a final ticket; any refused step
    refuses the macro with its own error, its message prefixed with the macro and the step
    (counted from 1). ``authorize=False`` is for the desk's own rules, whose actions no
    one's permissions limit.
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
            ticket = _apply_step(decisions, ticket, actor, desk, now, step, authorize)
        except (InvalidInput, InvalidTransition, PermissionDenied) as error:
            # Same error, same fields: only the message says where in the macro it stopped.
            where = f"macro {found.name!r}, step {index + 1} ({step.command})"
            said = error.args[0] if error.args else ""
            error.args = (f"{where}: {said}", *error.args[1:])
            raise
    return ticket
