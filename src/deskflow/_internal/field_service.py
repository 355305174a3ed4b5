"""
The custom-field and tag commands of [`HelpDesk`][deskflow.service.HelpDesk], as a mixin
over the one pipeline (so the service module stays one screenful of commands).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from deskflow._internal import field_commands
from deskflow._internal.pipeline import Pipeline
from deskflow.actors import Actor
from deskflow.authorization import Permission
from deskflow.views import TicketView

__all__ = ["FieldCommands"]


class FieldCommands(Pipeline):
    """
    ``set_fields`` and ``tag``: what a desk records about a ticket beyond the built-in fields.
    """

    def set_fields(
        self,
        actor: Actor,
        ticket_id: str,
        values: Mapping[str, object],
        *,
        reason: str | None = None,
    ) -> TicketView:
        """
        Set custom fields the desk declares (None clears one), each value checked by its
        field; a staff-only field only by staff. What does not change is not recorded.
        """
        return self._command(
            actor,
            ticket_id,
            Permission.SET_FIELDS,
            field_commands.set_fields,
            values=values,
            reason=reason,
        )

    def tag(
        self,
        actor: Actor,
        ticket_id: str,
        *,
        add: Iterable[str] | str = (),
        remove: Iterable[str] | str = (),
        reason: str | None = None,
    ) -> TicketView:
        """
        Add and remove tags (staff-only: requesters never see them).
        """
        return self._command(
            actor,
            ticket_id,
            Permission.TAG,
            field_commands.tag,
            add=add,
            remove=remove,
            reason=reason,
        )
