"""
The sections of a desk's configuration about talking to people: ``[people."id"]`` (who they
are: name, locale, time zone, email and any attribute rules read) and ``[messages]`` (the
templates of what they are told).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, field_validator

from deskflow._internal.config_models import ConfigModel, doc, docs
from deskflow.exceptions import ConfigError
from deskflow.messages import MessageRenderer
from deskflow.people import MappingPeople
from deskflow.routing import Candidate

__all__ = [
    "ConversationSections",
    "MessagesSpec",
    "PersonSpec",
    "conversation_parts",
    "messages_of",
    "people_of",
]

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


class TemplatePartsSpec(ConfigModel):
    """
    One template in one locale: its text (the subject line, then the body) and its HTML.
    """

    text: str = doc(
        "The subject on the first line, then the plain-text body.", "[{{ ticket.id }}] Solved"
    )
    html: str | None = doc("The HTML body.", "<p>Body</p>", None)


class MessagesSpec(ConfigModel):
    """
    The templates of the desk's messages.
    """

    default_locale: str = doc("The locale of readers without one, and the fallback.", "de", "en")
    folder: str | None = doc(
        "A folder of templates, `<locale>/<name>.txt` and `.html` (relative to the file).",
        "templates",
        None,
    )
    templates: dict[str, dict[str, str | TemplatePartsSpec]] = docs(
        "Templates by name and locale: the text, or a table of text and html.",
        {"ticket_resolved": {"de": "[{{ ticket.id }}] Gelöst: {{ ticket.title }}"}},
        dict,
    )

    @field_validator("default_locale")
    @classmethod
    def _default_locale(cls, value: str) -> str:
        return checked_locale(value)


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
    messages: MessagesSpec | None = doc(
        "The templates of the desk's messages; unset, the shipped ones (English and German).",
        {"default_locale": "de", "folder": "templates"},
        None,
    )


def messages_of(config: ConversationSections, source: object) -> MessageRenderer | None:
    """
    The renderer the ``[messages]`` table describes (None without one): the shipped
    templates with the folder's and the table's over them. Needs the ``templates`` extra.
    """
    spec = config.messages
    if spec is None:
        return None
    try:
        from deskflow.templates import Templates
    except ImportError:
        raise ConfigError(
            "[messages] needs the templates extra: pip install 'deskflow[templates]'",
            path=("messages",),
        ) from None
    folder: Path | None = None
    if spec.folder is not None:
        folder = Path(spec.folder)
        if not folder.is_absolute() and isinstance(source, str | Path):
            folder = Path(source).parent / folder
    overrides = {
        name: {
            locale: part if isinstance(part, str) else part.model_dump(exclude_none=True)
            for locale, part in by_locale.items()
        }
        for name, by_locale in spec.templates.items()
    }
    return Templates(default_locale=spec.default_locale, folder=folder, overrides=overrides)


def conversation_parts(config: ConversationSections, source: object) -> dict[str, Any]:
    """
    The keyword arguments of [`Desk`][deskflow.desk.Desk] these sections describe: its
    ``people`` and ``messages``.
    """
    return {"people": people_of(config), "messages": messages_of(config, source)}


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
