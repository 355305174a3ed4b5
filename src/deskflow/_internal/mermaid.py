"""
Drawing a workflow as a Mermaid ``stateDiagram-v2``, from its compiled transition table.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

__all__ = ["largest_fan_in", "state_diagram"]


def state_diagram(
    states: Sequence[str],
    initial: str,
    final: Collection[str],
    table: Mapping[str, Mapping[str, str]],
    *,
    group_from: int | None,
) -> str:
    """
    The diagram of ``table`` (state -> trigger -> destination), states in ``states`` order.

    See [`Workflow.to_mermaid()`][deskflow.states.Workflow.to_mermaid] for ``group_from``.
    """
    sources: dict[tuple[str, str], list[str]] = {}
    for state in states:
        for trigger, dest in sorted(table[state].items()):
            sources.setdefault((trigger, dest), []).append(state)
    group = largest_fan_in(sources, group_from)
    shared = {key for key, froms in sources.items() if group and group <= set(froms)} - {
        (trigger, dest) for trigger, dest in sources if dest in group
    }
    box = "any_of_these"
    while box in states:
        box += "_"

    def edges(state: str) -> dict[str, list[str]]:
        # dest -> triggers, without the ones the box draws
        by_dest: dict[str, list[str]] = {}
        for trigger, dest in sorted(table[state].items()):
            if state not in group or (trigger, dest) not in shared:
                by_dest.setdefault(dest, []).append(trigger)
        return by_dest

    def draw(indent: str, state: str, by_dest: Mapping[str, list[str]]) -> list[str]:
        return [f"{indent}{state} --> {d} : {', '.join(by_dest[d])}" for d in sorted(by_dest)]

    lines = ["stateDiagram-v2", f"    [*] --> {initial}"]
    if group:
        lines.append(f'    state "any of these" as {box} {{')
        for state in states:
            if state in group:
                inner = {d: t for d, t in edges(state).items() if d in group}
                lines.extend(draw("        ", state, inner) or [f"        {state}"])
        lines.append("    }")
        by_box: dict[str, list[str]] = {}
        for trigger, dest in sorted(shared):
            by_box.setdefault(dest, []).append(trigger)
        lines.extend(draw("    ", box, by_box))
    for state in states:
        outer = {d: t for d, t in edges(state).items() if state not in group or d not in group}
        lines.extend(draw("    ", state, outer))
    lines.extend(f"    {state} --> [*]" for state in states if state in final)
    return "\n".join(lines)


def largest_fan_in(
    sources: Mapping[tuple[str, str], list[str]], group_from: int | None
) -> frozenset[str]:
    """
    The largest set of states from which one trigger leads to one state outside the set,
    when it has ``group_from`` states or more; ties go to the set more triggers share, then
    to the first in order.
    """
    if group_from is None:
        return frozenset()
    fans = [
        frozenset(froms)
        for (_, dest), froms in sorted(sources.items())
        if len(froms) >= group_from and dest not in froms
    ]
    if not fans:
        return frozenset()
    return max(fans, key=lambda fan: (len(fan), fans.count(fan)))
