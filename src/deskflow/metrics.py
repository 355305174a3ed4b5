"""
The service-level metrics deskflow measures on a ticket.
"""

from __future__ import annotations

import enum

__all__ = ["Metric"]


class Metric(enum.StrEnum):
    """
    A service-level metric, each measured by its own SLA clock.

    - ``first_response``: from opening until the first public reply of an agent;
    - ``next_response``: restarts at each requester message, until an agent's public reply;
    - ``periodic_update``: time between public updates to the requester while the ticket is open;
    - ``resolution``: from opening until the ticket is resolved (paused while it waits).
    """

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    PERIODIC_UPDATE = "periodic_update"
    RESOLUTION = "resolution"
