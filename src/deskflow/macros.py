"""
Macros: named, validated batches of commands an agent applies with one call.

A [`Macro`][deskflow.macros.Macro] ("password reset": a public reply from a text template,
category ``access``, resolve) is a list of [`MacroStep`][deskflow.macros.MacroStep]s, each a
command of [`HelpDesk`][deskflow.service.HelpDesk] with its options. ``HelpDesk.apply_macro``
authorizes every step for the acting person, runs them in order in one decision and saves
the result as one atomic change, or refuses and stores nothing. The decision is
[`commands.apply_macro`][deskflow.commands.apply_macro]; the desk's rules call it with
``authorize=False``, their actions being limited by no one's permissions.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["MACRO_COMMANDS", "Macro", "MacroStep"]

#: The commands a macro step may run, by name (the options are the command's own keyword
#: arguments; ``comment``, ``request_info`` and ``resolve`` also take ``text``,
#: the name of a desk text template, instead of their free text).
MACRO_COMMANDS: frozenset[str] = frozenset(
    {
        "classify",
        "assign",
        "start",
        "comment",
        "request_info",
        "hold",
        "resume",
        "escalate",
        "resolve",
        "cancel",
        "set_fields",
        "tag",
        "override_priority",
    }
)


@attrs.frozen
class MacroStep:
    """
    One command of a macro and its options.
    """

    command: str
    options: Mapping[str, object] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class Macro:
    """
    A named batch of commands, applied in order as one atomic change.
    """

    name: str
    steps: tuple[MacroStep, ...]
    description: str = ""
