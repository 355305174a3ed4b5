"""
Priority: impact, urgency and the policies that turn them into a priority.
"""

from __future__ import annotations

import enum

from deskflow.exceptions import InvalidInput

__all__ = ["Impact", "Priority", "Urgency"]


class Impact(enum.StrEnum):
    """
    How much of the business an issue affects.
    """

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Urgency(enum.StrEnum):
    """
    How quickly the business needs the issue resolved.
    """

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@enum.unique
class Priority(enum.StrEnum):
    """
    Priority P1 (most urgent) to P5 (least urgent).

    Members compare by urgency: ``Priority.P1 > Priority.P2`` reads "P1 is more urgent
    than P2", and ``max()`` of several priorities is the most urgent one.

    >>> max(Priority.P3, Priority.P1, Priority.P5)
    <Priority.P1: 'P1'>
    >>> Priority.P2.rank
    2
    """

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"

    @property
    def rank(self) -> int:
        """
        The number in the name: 1 for P1 (most urgent) up to 5 for P5.
        """
        return int(self.value[1:])

    @classmethod
    def from_rank(cls, rank: int) -> Priority:
        """
        The priority with the given rank, 1..5.
        """
        if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= 5:
            raise InvalidInput(f"priority rank must be an int from 1 to 5, got {rank!r}")
        return cls(f"P{rank}")

    # Ordering by urgency, not by string value: P1 is the greatest.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank < other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank <= other.rank
