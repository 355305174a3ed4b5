"""
What each macro step takes, and the checks a desk's macros pass when the desk is built.

[`STEPS`][deskflow._internal.macro_checks.STEPS] describes every command a
[`MacroStep`][deskflow.macros.MacroStep] may name: the keywords of its decision in
[`deskflow.commands`][deskflow.commands] a step may give, those it must give, the workflow
trigger it fires and the permission it needs. It lives here, in the domain, so the desk's
validator can use it without importing the decisions; a test holds it to their signatures.

[`macro_problems()`][deskflow._internal.macro_checks.macro_problems] lists every problem of
the desk's macros as ``(path, message)``: an unknown command (with a did-you-mean), an option
the command does not take, a missing option, an unknown text, and a step the workflows can
never allow after the steps before it (``resolve`` then ``start``). The last is found by
following, for each workflow of the desk, the states a ticket can be in after each step,
from any state that is not final; a step is refused only if no workflow can run it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TypeAlias

import attrs

from deskflow.authorization import Permission
from deskflow.enums import Trigger
from deskflow.macros import Macro, MacroStep
from deskflow.states import Workflow

__all__ = ["STEPS", "StepSpec", "macro_problems", "step_permission", "step_problems"]

Path: TypeAlias = tuple[str | int, ...]
Problem: TypeAlias = tuple[Path, str]

#: The option naming a desk text, which a step gives instead of its free text.
TEXT = "text"


@attrs.frozen
class StepSpec:
    """
    What a macro step of one command may give (``options``), must give (each set of
    ``required`` needs at least one of its options), the free-text option that ``text``
    stands for (``body``, ``question``, ``resolution``), the workflow trigger the command
    fires (None: it changes no state) and the permission it needs.
    """

    permission: str
    options: frozenset[str] = frozenset()
    required: tuple[frozenset[str], ...] = ()
    text_for: str | None = None
    trigger: str | None = None


def _spec(
    permission: str,
    options: Iterable[str] = (),
    *,
    required: Iterable[Iterable[str]] = (),
    text_for: str | None = None,
    trigger: str | None = None,
) -> StepSpec:
    names = {*options, *((TEXT,) if text_for else ())}
    return StepSpec(
        permission,
        frozenset(names),
        tuple(frozenset(group) for group in required),
        text_for,
        trigger,
    )


_P, _T = Permission, Trigger
#: Every command a macro step may name. ``assign`` takes no routing candidates (they come
#: from the host at the moment it assigns); ``override_priority`` runs ``set_priority``.
STEPS: Mapping[str, StepSpec] = {
    "classify": _spec(_P.CLASSIFY, ("category", "service", "impact", "urgency", "reason")),
    "assign": _spec(
        _P.ASSIGN, ("group", "assignee"), required=[("group", "assignee")], trigger=_T.ASSIGN
    ),
    "start": _spec(_P.START, trigger=_T.START),
    # An internal note needs COMMENT_INTERNAL instead (step_permission).
    "comment": _spec(
        _P.COMMENT_PUBLIC, ("body", "internal"), required=[("body", TEXT)], text_for="body"
    ),
    "request_info": _spec(
        _P.REQUEST_INFO,
        ("question",),
        required=[("question", TEXT)],
        text_for="question",
        trigger=_T.REQUEST_INFO,
    ),
    "hold": _spec(_P.HOLD, ("reason", "note"), required=[("reason",)], trigger=_T.HOLD),
    "resume": _spec(_P.RESUME, trigger=_T.RESUME),
    "escalate": _spec(
        _P.ESCALATE, ("reason", "tier", "group"), required=[("reason",)], trigger=_T.ESCALATE
    ),
    # Fulfil, in a workflow without resolve (service requests).
    "resolve": _spec(
        _P.RESOLVE,
        ("resolution",),
        required=[("resolution", TEXT)],
        text_for="resolution",
        trigger=_T.RESOLVE,
    ),
    "cancel": _spec(_P.CANCEL, ("reason",), required=[("reason",)], trigger=_T.CANCEL),
    "set_fields": _spec("set_fields", ("values", "reason"), required=[("values",)]),
    "tag": _spec("tag", ("add", "remove", "reason"), required=[("add", "remove")]),
    "override_priority": _spec(
        _P.OVERRIDE_PRIORITY, ("priority", "reason"), required=[("priority",), ("reason",)]
    ),
}


def step_permission(step: MacroStep) -> Permission:
    """
    The permission ``step`` needs: its command's, or adding internal notes for a comment
    with ``internal`` set.
    """
    if step.command == "comment" and step.options.get("internal") is True:
        return Permission.COMMENT_INTERNAL
    return Permission(STEPS[step.command].permission)


def _hint(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _listed(names: Iterable[str]) -> str:
    return ", ".join(f"`{n}`" for n in sorted(names)) or "none"


def step_problems(step: object, texts: Mapping[str, str], where: Path = ()) -> list[Problem]:
    """
    The problems of one step on its own, each with its path under ``where``: what it is,
    its command, its options and the texts it names.
    """
    if not isinstance(step, MacroStep):
        return [(where, f"a macro step must be a MacroStep, got {type(step).__name__}")]
    if not isinstance(step.command, str) or step.command not in STEPS:
        shown = step.command if isinstance(step.command, str) else repr(step.command)
        hint = _hint(shown, STEPS) if isinstance(step.command, str) else ""
        return [
            (
                (*where, "command"),
                f"unknown command `{shown}`{hint}; a macro step runs one of {_listed(STEPS)}",
            )
        ]
    if not isinstance(step.options, Mapping):
        return [(where, f"the options of a step must be a mapping, got {step.options!r}")]
    spec = STEPS[step.command]
    problems: list[Problem] = []
    for name in step.options:
        if name not in spec.options:
            problems.append(
                (
                    (*where, str(name)),
                    f"`{step.command}` takes no option `{name}`{_hint(str(name), spec.options)};"
                    f" it takes {_listed(spec.options)}",
                )
            )
    for group in spec.required:
        if not group & step.options.keys():
            either = " or ".join(f"`{n}`" for n in sorted(group))
            problems.append((where, f"`{step.command}` needs {either}"))
    if spec.text_for is not None and {spec.text_for, TEXT} <= step.options.keys():
        problems.append(
            (where, f"give `{spec.text_for}` or `{TEXT}` (the name of a desk text), not both")
        )
    internal = step.options.get("internal", False)
    if not isinstance(internal, bool):  # it decides the permission: no truthy strings
        problems.append(((*where, "internal"), f"`internal` is true or false, got {internal!r}"))
    text = step.options.get(TEXT)
    if TEXT in spec.options and TEXT in step.options:
        if not isinstance(text, str):
            problems.append(((*where, TEXT), f"`text` names a desk text, got {text!r}"))
        elif text not in texts:
            problems.append(
                (
                    (*where, TEXT),
                    f"unknown text `{text}`{_hint(text, texts)}; the desk's texts: "
                    f"{_listed(texts)}",
                )
            )
    return problems


def _trigger(workflow: Workflow, spec: StepSpec) -> str | None:
    # As commands.resolve does: fulfil, in a workflow that has no resolve.
    if spec.trigger == Trigger.RESOLVE and Trigger.RESOLVE not in workflow.triggers:
        return Trigger.FULFIL
    return spec.trigger


def _sources(workflow: Workflow, trigger: str) -> str:
    found = sorted(
        {s for spec in workflow.transitions if spec.trigger == trigger for s in spec.source}
    )
    return _listed(found) if found else "no state: the workflow has no such trigger"


def _never_allowed(workflows: Iterable[Workflow], steps: tuple[MacroStep, ...]) -> Problem | None:
    # Follow each workflow's possible states step by step; the first step no workflow can
    # run after the ones before it is the problem. Final states refuse every later step.
    alive = {
        wf.name: (wf, frozenset(s for s in wf.states if not wf.is_final(s))) for wf in workflows
    }
    for index, step in enumerate(steps):
        spec = STEPS[step.command]
        reasons: list[str] = []
        after: dict[str, tuple[Workflow, frozenset[str]]] = {}
        for name, (wf, states) in alive.items():
            trigger = _trigger(wf, spec)
            if not states:
                reasons.append(f"{name} tickets are then final")
                continue
            if trigger is None:
                after[name] = (wf, states)
                continue
            reached = {dest for s in states if (dest := wf.destination(s, trigger)) is not None}
            if reached:
                after[name] = (wf, frozenset(s for s in reached if not wf.is_final(s)))
            else:
                reasons.append(
                    f"{name} tickets are then {' or '.join(sorted(states))}, and {trigger} "
                    f"runs only from {_sources(wf, trigger)}"
                )
        if not after:
            where = "after the steps before it" if index else "in any state"
            return (
                ("steps", index, "command"),
                f"`{step.command}` can never run {where}: {'; '.join(reasons)}",
            )
        alive = after
    return None


def macro_problems(desk: object) -> list[Problem]:
    """
    Every problem of ``desk.macros``, as ``(path, message)`` pairs with paths like
    ``("macros", "password_reset", "steps", 1, "text")``; empty if the macros are sound.
    ``desk`` is a [`Desk`][deskflow.desk.Desk] (or anything with its ``macros``, ``texts``
    and ``workflows``), so the desk's own validator can call this while it is built.
    """
    macros = getattr(desk, "macros", {})
    texts: Mapping[str, str] = getattr(desk, "texts", {})
    workflows: Mapping[object, Workflow] = getattr(desk, "workflows", {})
    if not isinstance(macros, Mapping):
        return [(("macros",), f"macros must map names to Macro objects, got {macros!r}")]
    problems: list[Problem] = []
    for name, macro in macros.items():
        where: Path = ("macros", str(name))
        if not isinstance(macro, Macro):
            problems.append((where, f"expected a Macro, got {type(macro).__name__}"))
            continue
        if macro.name != name:
            problems.append(((*where, "name"), f"the macro under `{name}` is named `{macro.name}`"))
        if not isinstance(macro.steps, tuple) or not macro.steps:
            problems.append(((*where, "steps"), "a macro needs at least one step"))
            continue
        found = [
            problem
            for index, step in enumerate(macro.steps)
            for problem in step_problems(step, texts, (*where, "steps", index))
        ]
        problems.extend(found)
        if not found:  # the path through the workflows only means something for sound steps
            never = _never_allowed(workflows.values(), macro.steps)
            if never is not None:
                problems.append(((*where, *never[0]), never[1]))
    return problems
