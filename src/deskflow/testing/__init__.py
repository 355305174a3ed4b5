"""
deskflow's testing kit: Hypothesis strategies and a rule-based state machine to
property-check workflows — deskflow's own and yours.

Needs the ``testing`` extra (``pip install deskflow[testing]``).
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "deskflow.testing needs Hypothesis and pytest: pip install 'deskflow[testing]'"
    ) from error

from deskflow.testing.desk_machine import DeskStateMachine
from deskflow.testing.machines import WorkflowStateMachine

__all__ = ["DeskStateMachine", "WorkflowStateMachine"]
