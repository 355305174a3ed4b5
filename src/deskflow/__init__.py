"""
deskflow: the process logic of an IT help desk, as a library.

The ticket lifecycle as one shared state machine, impact x urgency priority, SLA clocks on
business calendars, escalation and routing policies, approvals, authorization and the audit
trail. Storage and notification are ports the host application implements.

The package's top level holds the names a host needs every day: the service
([`HelpDesk`][deskflow.service.HelpDesk], [`Desk`][deskflow.desk.Desk],
[`load_desk`][deskflow.config.load_desk]), the ticket and its vocabulary, the workflows, SLA
policies, the policy protocols, the ports with their in-memory and clock adapters, and the
errors. Everything else lives in the module of its family and is imported from there:

- events of a ticket's history: [`deskflow.events`][deskflow.events];
- the other enums (`Visibility`, `HoldReason`, `LinkKind`, ...): [`deskflow.enums`][deskflow.enums];
- lifecycle: [`deskflow.states`][deskflow.states], [`deskflow.guards`][deskflow.guards],
  [`deskflow.workflows`][deskflow.workflows];
- calendars and SLA clocks: [`deskflow.calendars`][deskflow.calendars],
  [`deskflow.sla`][deskflow.sla];
- priority, routing, escalation: [`deskflow.priority`][deskflow.priority],
  [`deskflow.routing`][deskflow.routing], [`deskflow.escalation`][deskflow.escalation], and
  their built-in families in [`deskflow.policies`][deskflow.policies] (notices, tiers,
  ladders, priority rules, routers, queues);
- authorization, visibility, approval: [`deskflow.authorization`][deskflow.authorization],
  [`deskflow.views`][deskflow.views], [`deskflow.approval`][deskflow.approval];
- storage: [`deskflow.ports`][deskflow.ports], [`deskflow.adapters`][deskflow.adapters]
  (SQL in [`deskflow.adapters.sql`][deskflow.adapters.sql]);
- reports, configuration, plug-ins, the testing kit: [`deskflow.reports`][deskflow.reports],
  [`deskflow.config`][deskflow.config], [`deskflow.plugins`][deskflow.plugins],
  [`deskflow.testing`][deskflow.testing].

>>> from deskflow import INCIDENT, HelpDesk
>>> from deskflow.events import StateChanged

``import deskflow`` is cheap: each top-level name is imported from its module the first
time it is used, so a host that only needs the errors does not load the service, the
adapters or pydantic.
"""

from __future__ import annotations

import importlib

# Leaf modules, cheap and needed by almost everything.
from deskflow.enums import Impact, Metric, Priority, Role, State, TicketKind, Trigger, Urgency
from deskflow.exceptions import (
    ConcurrencyError,
    ConfigError,
    DeskflowError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)

# Not typing.TYPE_CHECKING: importing typing would double the cost of ``import deskflow``.
# Type checkers read any name TYPE_CHECKING as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from deskflow.actors import SYSTEM, Actor
    from deskflow.adapters.clocks import ManualClock, SystemClock
    from deskflow.adapters.memory import InMemoryNotifier, InMemoryTicketRepository
    from deskflow.authorization import AuthorizationPolicy
    from deskflow.calendars import BusinessCalendar
    from deskflow.desk import Desk
    from deskflow.escalation import EscalationPolicy
    from deskflow.notifications import Notification
    from deskflow.outbox import Delivery
    from deskflow.people import MappingPeople
    from deskflow.ports import Clock, Notifier, TicketRepository
    from deskflow.priority import PriorityMatrix, PriorityPolicy
    from deskflow.routing import RoutingPolicy
    from deskflow.service import HelpDesk
    from deskflow.sla import SlaPolicy, SlaReport
    from deskflow.states import Workflow
    from deskflow.tick import TickReport
    from deskflow.ticket import Ticket
    from deskflow.views import TicketView
    from deskflow.workflows import INCIDENT, SERVICE_REQUEST

__all__ = [
    "INCIDENT",
    "SERVICE_REQUEST",
    "SYSTEM",
    "Actor",
    "AuthorizationPolicy",
    "BusinessCalendar",
    "Clock",
    "ConcurrencyError",
    "ConfigError",
    "Delivery",
    "Desk",
    "DeskflowError",
    "EscalationPolicy",
    "HelpDesk",
    "Impact",
    "InMemoryNotifier",
    "InMemoryTicketRepository",
    "InvalidInput",
    "InvalidTransition",
    "ManualClock",
    "MappingPeople",
    "Metric",
    "NotFound",
    "Notification",
    "Notifier",
    "PermissionDenied",
    "Priority",
    "PriorityMatrix",
    "PriorityPolicy",
    "Role",
    "RoutingPolicy",
    "SlaPolicy",
    "SlaReport",
    "State",
    "SystemClock",
    "TickReport",
    "Ticket",
    "TicketKind",
    "TicketRepository",
    "TicketView",
    "Trigger",
    "Urgency",
    "Workflow",
    "load_desk",
]

__version__ = "0.1.0.dev0"

#: Where each top-level name not imported above lives; it is imported on first use.
_HOMES: dict[str, str] = {
    "SYSTEM": "deskflow.actors",
    "Actor": "deskflow.actors",
    "ManualClock": "deskflow.adapters.clocks",
    "SystemClock": "deskflow.adapters.clocks",
    "InMemoryNotifier": "deskflow.adapters.memory",
    "InMemoryTicketRepository": "deskflow.adapters.memory",
    "AuthorizationPolicy": "deskflow.authorization",
    "BusinessCalendar": "deskflow.calendars",
    "Desk": "deskflow.desk",
    "EscalationPolicy": "deskflow.escalation",
    "Notification": "deskflow.notifications",
    "Delivery": "deskflow.outbox",
    "MappingPeople": "deskflow.people",
    "Clock": "deskflow.ports",
    "Notifier": "deskflow.ports",
    "TicketRepository": "deskflow.ports",
    "PriorityMatrix": "deskflow.priority",
    "PriorityPolicy": "deskflow.priority",
    "RoutingPolicy": "deskflow.routing",
    "HelpDesk": "deskflow.service",
    "SlaPolicy": "deskflow.sla",
    "SlaReport": "deskflow.sla",
    "Workflow": "deskflow.states",
    "TickReport": "deskflow.tick",
    "Ticket": "deskflow.ticket",
    "TicketView": "deskflow.views",
    "INCIDENT": "deskflow.workflows",
    "SERVICE_REQUEST": "deskflow.workflows",
}


def load_desk(source: object) -> Desk:
    """
    Build a [`Desk`][deskflow.desk.Desk] from a ``.toml``/``.json`` path or a mapping.

    See [`deskflow.config.load_desk()`][deskflow.config.load_desk]; imported on first use, so
    that ``import deskflow`` stays light (pydantic is only needed to read configuration).
    """
    from deskflow.config import load_desk as load

    return load(source)


def __dir__() -> list[str]:
    """
    The public names, loaded or not, so that completion offers them all.
    """
    return list(__all__)


# Hidden from type checkers: they see the imports above, and a module-level __getattr__
# would make every misspelt or moved name type-check as an ``object``.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """
        Import a top-level name from its module on first use and keep it (PEP 562).
        """
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}", name=name)
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value


del TYPE_CHECKING
