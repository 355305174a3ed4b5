"""
How long a desk lets each free-text field be, so one pasted log cannot bloat a ticket.

Every save of a ticket writes its history, so a single 1 MB comment makes every later
save of that ticket slower; [`Limits`][deskflow.limits.Limits] refuses such text when it
arrives, with an [`InvalidInput`][deskflow.exceptions.InvalidInput] that says the limit.
A desk holds its limits as [`Desk.limits`][deskflow.desk.Desk]; a configuration file sets
them in its ``[limits]`` section.
"""

from __future__ import annotations

from typing import Any

import attrs

from deskflow.exceptions import ConfigError, InvalidInput

__all__ = ["Limits"]


def _positive(_: object, attribute: attrs.Attribute[int], value: Any) -> None:
    # bool is an int to Python, never a length to a person.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(
            f"must be a positive whole number of characters, got {value!r}",
            path=(attribute.name,),
        )


@attrs.frozen
class Limits:
    """
    The most characters (Unicode code points, as ``len()`` counts them) a desk accepts in
    each free-text field.

    The defaults leave room for any text a person types and refuse what only a paste or a
    script sends: ``title`` as Jira's summary (255), the long texts (``description``,
    ``comment``, ``resolution``) as Jira's text fields (32,767), a ``reason`` (for a hold,
    an escalation, a reopening, a cancellation, a priority change) and a
    ``feedback_comment`` at a few paragraphs.

    >>> Limits().check("title", "Printer on fire")
    'Printer on fire'
    >>> Limits(title=10).check("title", "Printer on fire")
    Traceback (most recent call last):
    ...
    deskflow.exceptions.InvalidInput: title is 15 characters long; this desk allows at most 10
    """

    title: int = attrs.field(default=255, validator=_positive)
    description: int = attrs.field(default=32_767, validator=_positive)
    comment: int = attrs.field(default=32_767, validator=_positive)
    resolution: int = attrs.field(default=32_767, validator=_positive)
    reason: int = attrs.field(default=2_000, validator=_positive)
    feedback_comment: int = attrs.field(default=5_000, validator=_positive)

    def check(self, field: str, value: str) -> str:
        """
        ``value`` itself if it fits the limit of ``field`` (one of this class's attributes),
        else an [`InvalidInput`][deskflow.exceptions.InvalidInput] naming the field, the
        length and the limit.
        """
        if field not in _FIELDS:
            raise InvalidInput(f"no size limit for {field!r}; known: {', '.join(_FIELDS)}")
        limit: int = getattr(self, field)
        if not isinstance(value, str):
            raise InvalidInput(f"{field} must be a string, got {type(value).__name__}")
        if len(value) > limit:
            raise InvalidInput(
                f"{field} is {len(value)} characters long; this desk allows at most {limit}"
            )
        return value


_FIELDS = tuple(a.name for a in attrs.fields(Limits))
