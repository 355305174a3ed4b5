"""
The macro command of [`HelpDesk`][deskflow.service.HelpDesk], and the offer of a resolution
to the knowledge base that it shares with ``resolve``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from deskflow import commands
from deskflow._internal.macro_steps import find_macro
from deskflow._internal.pipeline import Pipeline, checked_actor
from deskflow.actors import Actor
from deskflow.authorization import Permission
from deskflow.ticket import Ticket
from deskflow.views import TicketView

__all__ = ["MacroCommands"]

log = logging.getLogger("deskflow.service")


class MacroCommands(Pipeline):
    """
    Applying a desk's macros through the one pipeline.
    """

    def apply_macro(self, actor: Actor, ticket_id: str, macro: str) -> TicketView:
        """
        Apply the desk's macro ``macro`` (e.g. ``"password_reset"``: a public reply from a
        text, category ``access``, resolve) to the ticket: every step authorized for
        ``actor`` in order, all decided at one instant and saved as ONE change, or, if any
        step is refused (by authorization, the workflow or its own input), nothing is stored
        and nothing is sent. A macro that resolves offers the resolution to the knowledge
        base, as ``resolve`` does.
        """
        actor = checked_actor(actor)
        found = find_macro(self.desk, macro)

        def decide(
            loaded: tuple[Ticket, ...], _new: tuple[str, ...], now: datetime
        ) -> tuple[Sequence[Ticket], Sequence[str]]:
            changed = commands.apply_macro(loaded[0], actor, self.desk, now, macro=found.name)
            return (changed,), (changed.id,)

        # Loaded as the actor may see it; each step checks its own permission and refuses
        # a final ticket with its own words.
        view = self._run(actor, [(ticket_id, Permission.VIEW, False)], decide)[0]
        if any(step.command == "resolve" for step in found.steps):
            self._offer_resolution(view.id)
        return view

    def _offer_resolution(self, ticket_id: str) -> None:
        # The resolution is saved; a knowledge base hiccup must not undo it.
        if self.knowledge_base is None:
            return
        try:
            self.knowledge_base.record_resolution(self.repository.get(ticket_id))
        except Exception:
            log.exception("could not offer the resolution of %s to the knowledge base", ticket_id)
