"""
The desk's messages written from templates (the ``templates`` extra: Jinja2 and Babel).

Each template is a text file: its first line is the subject, the rest the plain-text body;
an optional ``.html`` file of the same name is the HTML body (autoescaped; the text is not).
Templates run in Jinja2's sandbox (desk admins write them, not developers) and an unknown
variable is an error, found when the templates load, not when a message is sent.

A message is written in the reader's locale (``de_AT``: the ``de_AT`` template if there is
one, else ``de``, else the desk's default locale, else ``en``), with dates, times and
durations in the reader's zone and locale (Babel). The shipped templates cover every
template the desk sends, in English and German; a host overrides any of them by name and
locale from a folder (``<folder>/<locale>/<name>.txt`` and ``.html``) or a mapping
(``{"ticket_resolved": {"de": "subject\\n\\nbody"}}``, or ``{"de": {"text": ..., "html":
...}}``).

>>> from datetime import datetime, timezone
>>> from zoneinfo import ZoneInfo
>>> from deskflow import INCIDENT, SYSTEM
>>> from deskflow.enums import Audience
>>> from deskflow.messages import MessageRequest
>>> from deskflow.views import visible
>>> at = datetime(2026, 3, 30, 8, 15, tzinfo=timezone.utc)
>>> t = INCIDENT.open("INC-7", title="VPN down", requester="ann", at=at)
>>> request = MessageRequest(template="ticket_received", audience=Audience.REQUESTER,
...     recipients=("ann",), locale="de", time_zone=ZoneInfo("Europe/Berlin"),
...     ticket=visible(SYSTEM, t), event=t.history[0], at=at, names={"ann": "Ann"})
>>> message = Templates().render(request)
>>> print(message.subject)
[INC-7] Wir haben Ihre Anfrage erhalten: VPN down
>>> print(message.body.splitlines()[0])
Hallo Ann,
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from deskflow._internal.template_catalog import FALLBACK
from deskflow._internal.template_checks import check_source
from deskflow._internal.template_context import FILTERS, babel_locale, context_of
from deskflow.exceptions import ConfigError
from deskflow.messages import MessageRequest, RenderedMessage

if TYPE_CHECKING:
    from deskflow.desk import Desk

__all__ = ["SHIPPED_LOCALES", "Templates", "shipped_sources"]

#: The locales the shipped templates are written in.
SHIPPED_LOCALES = ("en", "de")

#: (locale, name, part) -> template source; part is "txt" or "html".
Sources = dict[tuple[str, str, str], str]


def shipped_sources() -> Sources:
    """
    The shipped templates' sources, by (locale, name, part).
    """
    root = resources.files("deskflow") / "data" / "templates"
    out: Sources = {}
    for locale in SHIPPED_LOCALES:
        for item in (root / locale).iterdir():
            name, _, part = item.name.rpartition(".")
            if part in ("txt", "html"):
                out[(locale, name, part)] = item.read_text(encoding="utf-8")
    return out


def _folder_sources(folder: Path) -> Sources:
    if not folder.is_dir():
        raise ConfigError(f"the templates folder {folder} is not a directory")
    out: Sources = {}
    for locale_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for item in sorted(locale_dir.iterdir()):
            if item.suffix in (".txt", ".html"):
                try:
                    text = item.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as error:
                    raise ConfigError(f"cannot read the template {item}: {error}") from None
                out[(locale_dir.name, item.stem, item.suffix[1:])] = text
    return out


def _mapping_sources(overrides: Mapping[str, Mapping[str, object]]) -> Sources:
    out: Sources = {}
    for name, by_locale in overrides.items():
        if not isinstance(by_locale, Mapping):
            raise ConfigError(
                "expected {locale: text} or {locale: {text, html}}", path=("messages", name)
            )
        for locale, spec in by_locale.items():
            parts: Mapping[str, object] = {"text": spec} if isinstance(spec, str) else spec  # type: ignore[assignment]
            if not isinstance(parts, Mapping) or not set(parts) <= {"text", "html"}:
                raise ConfigError(
                    "expected the template's text, or a table of text and html",
                    path=("messages", name, locale),
                )
            for part, text in parts.items():
                if not isinstance(text, str):
                    raise ConfigError(
                        f"expected text, got {type(text).__name__}",
                        path=("messages", name, locale, part),
                    )
                out[(str(locale), str(name), "txt" if part == "text" else "html")] = text
    return out


#: The largest string, list or number (in digits) a template may build with ``*``/``**``.
_MAX_BUILT = 100_000


class _Sandbox(SandboxedEnvironment):
    # Jinja2's sandbox stops attribute escapes and huge ranges, not ``"a" * 10**8`` or
    # ``2 ** 64 ** 64 ** 64``: an admin's template must not stall or swell the desk's outbox.
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: object, right: object
    ) -> object:
        # The size of the result, about: 2 ** 64 ** 64 ** 64 must not be computed.
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and abs(left).bit_length() * abs(right) > _MAX_BUILT
        ):
            raise SecurityError(f"{left!r} ** {right!r} is too large for a message")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > _MAX_BUILT
                ):
                    raise SecurityError("a value of more than 100000 items in a message")
        return super().call_binop(context, operator, left, right)


def _chain(wanted: str, default: str) -> list[str]:
    # "de_AT" -> de_AT, de; then the desk's default and its language; then en.
    out: list[str] = []
    for locale in (wanted, default, "en"):
        parts = locale.split("_")
        for n in range(len(parts), 0, -1):
            candidate = "_".join(parts[:n])
            if candidate not in out:
                out.append(candidate)
    return out


class Templates:
    """
    A [`MessageRenderer`][deskflow.messages.MessageRenderer] writing from Jinja2 templates:
    the shipped ones, overridden by ``folder`` and then by ``overrides``; ``default_locale``
    is the locale of readers without one (and the fallback of those whose locale has no
    template). Every template is checked here: a syntax error or an unknown variable is a
    ConfigError naming the template, the locale and the line.
    """

    def __init__(
        self,
        *,
        default_locale: str = "en",
        folder: str | Path | None = None,
        overrides: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        known = babel_locale(default_locale) if isinstance(default_locale, str) else None
        if known is None:
            raise ConfigError(f"unknown default locale {default_locale!r}", path=("messages",))
        self.default_locale = str(known)
        sources = shipped_sources()
        if folder is not None:
            sources.update(_folder_sources(Path(folder)))
        if overrides:
            sources.update(_mapping_sources(overrides))
        self._sources = sources
        self._env = _Sandbox(
            loader=jinja2.DictLoader({self._key(*k): v for k, v in sources.items()}),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(["html"], default=False),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters.update(FILTERS)
        del self._env.globals["lipsum"]  # slow for large counts; nothing a message needs
        for (locale, name, part), source in sorted(sources.items()):
            check_source(self._env, source, name=name, locale=locale, part=part)

    @staticmethod
    def _key(locale: str, name: str, part: str) -> str:
        return f"{locale}/{name}.{part}"

    def names(self) -> frozenset[str]:
        """
        The template names written in at least one locale.
        """
        return frozenset(name for _, name, _ in self._sources)

    def locale_for(self, wanted: str | None) -> str | None:
        """
        ``wanted`` as Babel knows it (``"de-AT"`` -> ``"de_AT"``), else the default locale.
        """
        known = babel_locale(wanted) if wanted else None
        return self.default_locale if known is None else str(known)

    def _pick(self, template: str, locale: str) -> tuple[str, str]:
        # The template and the locale it is written in, by the locale fallback chain.
        for name in (template, FALLBACK):
            for candidate in _chain(locale, self.default_locale):
                if (candidate, name, "txt") in self._sources:
                    return name, candidate
        raise ConfigError(f"no template {template!r} and no {FALLBACK!r} template to fall back on")

    def render(self, request: MessageRequest) -> RenderedMessage:
        """
        The message ``request`` asks for, written by the template of its name and locale.
        """
        locale = request.locale or self.default_locale
        name, written_in = self._pick(request.template, locale)
        context = context_of(request, locale, request.template)
        text = self._env.get_template(self._key(written_in, name, "txt")).render(context)
        subject, _, body = text.strip("\n").partition("\n")
        html = None
        if (written_in, name, "html") in self._sources:
            html = self._env.get_template(self._key(written_in, name, "html")).render(context)
        return RenderedMessage(
            subject=subject.strip() or f"[{request.ticket.id}] {request.ticket.title}",
            body=body.strip("\n") + "\n",
            html=html,
            locale=locale,
        )

    def check(self, desk: Desk) -> None:
        """
        Nothing more to check: every template was checked when these were built, and a
        template name without a template of its own is written by the ``notice`` template.
        """

    def __repr__(self) -> str:
        return f"Templates(default_locale={self.default_locale!r}, {len(self._sources)} sources)"
