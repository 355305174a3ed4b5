"""
The sections of a desk's configuration about talking to people: ``[people."id"]`` (who they
are: name, locale, time zone, email and any attribute rules read) and ``[messages]`` (the
templates of what they are told).
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, field_validator

from deskflow._internal.config_models import ConfigModel, doc, docs
from deskflow.people import MappingPeople
from deskflow.routing import Candidate

__all__ = ["ConversationSections", "PersonSpec", "people_of"]

#: "de", "en_GB", "pt-BR", "zh_Hant_TW": a language, then optional script/region parts.
LOCALE = re.compile(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*")


def checked_locale(value: str) -> str:
    """
    ``value`` if it reads as a locale (``de``, ``en_GB``), else a ValueError saying why.
    """
    if not LOCALE.fullmatch(value):
        raise ValueError(f"{value!r} is not a locale such as 'de' or 'en_GB'")
    return value.replace("-", "_")


class PersonSpec(ConfigModel):
    """
    One person: the attributes the desk reads when it writes to them, and any others.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str | None = doc("The name the person is greeted by.", "Ann Smith", None)
    email: str | None = doc("Where mail to the person goes.", "ann@example.com", None)
    locale: str | None = doc("The language and formats of their messages.", "de", None)
    timezone: str | None = doc("The zone their times are shown in.", "Europe/Berlin", None)
    groups: list[str] = docs(
        "The groups the person takes tickets of, as a routing candidate (agents only).",
        ["network"],
        list,
    )

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str | None) -> str | None:
        return None if value is None else checked_locale(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class ConversationSections(ConfigModel):
    """
    The sections about people and what they are told.
    """

    people: dict[str, PersonSpec] = docs(
        "People by id: name, email, locale, time zone, groups and any other attribute "
        "(`vip`, `organization`, ...) that rules read as `requester.<attribute>`.",
        {"ann.requester": {"name": "Ann", "locale": "de", "timezone": "Europe/Berlin"}},
        dict,
    )


def people_of(config: ConversationSections) -> MappingPeople | None:
    """
    The directory the ``[people]`` tables describe, or None when there are none.
    """
    if not config.people:
        return None
    attributes: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[Candidate]] = {}
    for person, spec in config.people.items():
        held = {k: v for k, v in spec.model_dump().items() if v is not None and k != "groups"}
        held.update(spec.model_extra or {})
        if spec.groups:
            held["groups"] = list(spec.groups)
        attributes[person] = held
        for group in spec.groups:
            groups.setdefault(group, []).append(Candidate(person, groups=spec.groups))
    return MappingPeople(attributes, groups)
