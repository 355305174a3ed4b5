"""
Plug-ins: find a policy by name, so that configuration files can name it.

Each kind of policy has an entry-point group: ``deskflow.priority``, ``deskflow.escalation`` and
``deskflow.routing``. [`load_policy()`][deskflow.plugins.load_policy] looks a name up among
policies registered in-process with [`register()`][deskflow.plugins.register], then the
built-ins, then the installed entry points, and builds it with the options given. Nothing is
imported or loaded until a name is asked for: importing deskflow never loads a plug-in.

>>> load_policy("deskflow.priority", "itil").priority("high", "medium")
<Priority.P2: 'P2'>
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, Final, Literal

from deskflow.exceptions import ConfigError

__all__ = ["GROUPS", "load_policy", "policy_names", "register", "unregister"]

log = logging.getLogger("deskflow.plugins")

#: Each entry-point group and the method every policy of that kind has. A new kind of
#: policy is one more line here.
GROUPS: Final[Mapping[str, str]] = {
    "deskflow.priority": "prioritize",
    "deskflow.escalation": "evaluate",
    "deskflow.routing": "select",
}

Factory = Callable[..., object]

_registered: dict[str, dict[str, object]] = {group: {} for group in GROUPS}
_builtins: dict[str, dict[str, Factory]] = {}


def _builtin(group: str) -> dict[str, Factory]:
    # Built lazily so that importing this module imports no policy module.
    if not _builtins:
        from deskflow import priority, routing
        from deskflow.policies import priority_rules, queues, routers

        def open_to_work(group: str | None) -> list[routing.CandidateFilter]:
            return [routers.Available(), routers.InGroup(group), routers.HasCapacity()]

        def round_robin(group: str | None = None) -> routers.Router:
            return routers.Router(open_to_work(group), routers.LongestIdle())

        def least_loaded(
            mode: Literal["absolute", "percentage"] = "absolute", group: str | None = None
        ) -> routers.Router:
            return routers.Router(open_to_work(group), routers.LeastLoaded(mode))

        _builtins["deskflow.priority"] = {
            "itil": priority.PriorityMatrix.itil,
            "five_by_five": priority.PriorityMatrix.five_by_five,
            "matrix": priority.PriorityMatrix.from_mapping,
            "weighted": priority_rules.WeightedScore,
            "per_service": priority_rules.PerService,
            "vip_floor": priority_rules.VipFloor,
            "rule_chain": priority_rules.RuleChain,
        }
        _builtins["deskflow.routing"] = {
            "round_robin": round_robin,
            "least_loaded": least_loaded,
            "skills": routers.SkillsBased,
            "rule_table": queues.RuleTable,
        }
        from deskflow import escalation
        from deskflow.policies import ladders, notices, tiers

        def composite(policies: list[object]) -> escalation.CompositePolicy:
            # A configuration names each part as {"policy": name, **options}.
            built = [
                load_policy(
                    "deskflow.escalation",
                    str(part["policy"]),
                    **{k: v for k, v in part.items() if k != "policy"},
                )
                if isinstance(part, Mapping) and "policy" in part
                else part
                for part in policies
            ]
            return escalation.CompositePolicy(built)

        _builtins["deskflow.escalation"] = {
            "sla_notices": notices.SlaNotices,
            "hierarchical": notices.HierarchicalNotices,
            "functional_tiers": tiers.FunctionalTiers,
            "ladder": ladders.LadderPolicy.from_levels,
            "composite": composite,
        }
    return _builtins[group]


def _check_group(group: object) -> str:
    if not isinstance(group, str) or group not in GROUPS:
        raise ConfigError(f"unknown policy group {group!r}; known groups: {', '.join(GROUPS)}")
    return group


def register(group: str, name: str, factory: object, *, replace: bool = False) -> None:
    """
    Register ``factory`` under ``name``: a class or function building a policy from the
    options of [`load_policy()`][deskflow.plugins.load_policy], or a ready policy object.

    For hosts and tests without packaging; a name already taken needs ``replace=True``.
    """
    _check_group(group)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"a policy name must be a non-empty string, got {name!r}", path=[group])
    if not callable(factory) and not callable(getattr(factory, GROUPS[group], None)):
        raise ConfigError(f"expected a policy or a factory, got {factory!r}", path=[group, name])
    if not replace and (name in _registered[group] or name in _builtin(group)):
        raise ConfigError(f"{name!r} is already registered; pass replace=True", path=[group, name])
    _registered[group][name] = factory


def unregister(group: str, name: str) -> None:
    """
    Forget a policy registered with [`register()`][deskflow.plugins.register] (a no-op if there
    is none).
    """
    _registered[_check_group(group)].pop(name, None)


def policy_names(group: str) -> tuple[str, ...]:
    """
    Every name [`load_policy()`][deskflow.plugins.load_policy] knows in ``group``, sorted;
    plug-ins are not loaded.
    """
    _check_group(group)
    installed = {ep.name for ep in entry_points(group=group)}
    return tuple(sorted(set(_registered[group]) | set(_builtin(group)) | installed))


def load_policy(group: str, name: str, /, **options: Any) -> object:
    """
    Build the policy called ``name`` in ``group`` with ``options`` (any names, even
    ``group`` and ``name``: the first two arguments are positional only).

    An unknown name, a plug-in that fails to import or to build, or an object that is not
    a policy of the group's kind is a [`ConfigError`][deskflow.exceptions.ConfigError] naming the
    group and the name and listing the known names.
    """
    _check_group(group)
    factory: object = _registered[group].get(name) or _builtin(group).get(name)
    if factory is None:
        found = [ep for ep in entry_points(group=group) if ep.name == name]
        if not found:
            raise _error(group, name, "unknown policy")
        log.debug("loading plug-in %s from %s", name, found[0].value)
        try:
            factory = found[0].load()
        except Exception as exc:
            raise _error(group, name, f"plug-in {found[0].value} failed to load: {exc!r}") from exc
    policy = factory
    method = GROUPS[group]
    # A plug-in may name a ready policy object, or a class or function that builds one.
    if isinstance(factory, type) or not callable(getattr(factory, method, None)):
        if not callable(factory):
            raise _error(group, name, f"{factory!r} is neither a policy nor builds one")
        try:
            policy = factory(**options)
        except Exception as exc:
            raise _error(group, name, f"could not be built: {exc}") from exc
    elif options:
        raise _error(group, name, f"is a ready policy object and takes no options: {options}")
    if not callable(getattr(policy, method, None)):
        kind = group.rpartition(".")[2]
        raise _error(group, name, f"{policy!r} is not a {kind} policy (it has no {method}())")
    return policy


def _error(group: str, name: str, problem: str) -> ConfigError:
    return ConfigError(
        f"{problem}; known names: {', '.join(policy_names(group))}", path=[group, name]
    )
