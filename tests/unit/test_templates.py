"""
The desk's messages written from templates: shipped defaults in every locale, checks at
load, overrides, locale fallback, times in the reader's zone, and the render step.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest

from builders import ANN, KIM, LEE, SAM, T0, helpdesk, incident
from deskflow import INCIDENT, SYSTEM, ConfigError, Desk, MappingPeople, load_desk
from deskflow._internal.template_catalog import CATALOG
from deskflow.enums import Audience
from deskflow.messages import MessageRequest, PlainRenderer, RenderedMessage
from deskflow.templates import SHIPPED_LOCALES, Templates, shipped_sources
from deskflow.ticket import Ticket
from deskflow.views import visible

BERLIN = ZoneInfo("Europe/Berlin")


def _request(
    ticket: Ticket | None = None,
    *,
    template: str = "ticket_received",
    locale: str | None = "en",
    zone: ZoneInfo = BERLIN,
    audience: Audience = Audience.REQUESTER,
) -> MessageRequest:
    ticket = ticket or incident("INC-7")
    return MessageRequest(
        template=template,
        audience=audience,
        recipients=(ticket.requester,),
        locale=locale,
        time_zone=zone,
        ticket=visible(SYSTEM, ticket),
        event=ticket.history[-1],
        at=ticket.updated_at,
        names={"ann": "Ann"},
    )


def test_every_template_is_shipped_in_every_locale() -> None:
    """Each template the desk sends has a shipped text in English and in German."""
    shipped = {(locale, name) for locale, name, part in shipped_sources() if part == "txt"}
    assert {(loc, name) for loc in SHIPPED_LOCALES for name in CATALOG} == shipped


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
@pytest.mark.parametrize("name", sorted(CATALOG))
def test_every_shipped_template_renders(name: str, locale: str) -> None:
    """Every shipped template writes a subject and a greeting body for any event."""
    message = Templates().render(_request(template=name, locale=locale))
    assert "INC-7" in message.subject
    assert "\n" not in message.subject
    assert message.body.startswith(("Hello", "Hallo"))
    assert locale == message.locale


def test_requester_message_reads_as_a_help_desk_writes() -> None:
    """The resolution reaches the requester as a letter: greeting, what we did, sign-off."""
    rig = helpdesk(
        Desk(people=MappingPeople({"ann": {"name": "Ann", "timezone": "Europe/London"}}))
    )
    opened = rig.desk.open(ANN, title="Laptop clock wrong")
    rig.desk.assign(LEE, opened.id, assignee=LEE.id)
    rig.desk.start(LEE, opened.id)
    rig.desk.resolve(LEE, opened.id, resolution="Replaced CMOS battery")
    rig.desk.deliver_pending()
    resolved = [n for n in rig.notifier.sent if n.template == "ticket_resolved"]
    assert 1 == len(resolved)
    message = resolved[0]
    assert f"[{opened.id}] We have resolved your ticket: Laptop clock wrong" == message.subject
    assert message.body.startswith(f"Hello Ann,\n\nwe have resolved your ticket {opened.id}")
    assert "What we did: Replaced CMOS battery" in message.body
    assert ("en", "Europe/London") == (message.locale, message.time_zone)


def test_people_locale_and_zone_reach_the_message() -> None:
    """A German reader in Berlin gets German text with Berlin times."""
    people = MappingPeople({"ann": {"name": "Ann", "locale": "de", "timezone": "Europe/Berlin"}})
    rig = helpdesk(Desk(people=people))
    opened = rig.desk.open(ANN, title="Drucker offline")
    rig.desk.deliver_pending()
    (received,) = [n for n in rig.notifier.sent if n.template == "ticket_received"]
    assert ("de", "Europe/Berlin") == (received.locale, received.time_zone)
    assert received.subject.startswith(f"[{opened.id}] Wir haben Ihre Anfrage erhalten")
    assert "am 2. März 2026, 10:00 MEZ" in received.body  # T0 is 09:00 UTC


@pytest.mark.parametrize(
    ("at", "shown"),
    [
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "29. März 2026, 01:30 MEZ"),
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "29. März 2026, 03:30 MESZ"),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25. Oktober 2026, 02:30 MESZ"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25. Oktober 2026, 02:30 MEZ"),
    ],
)
def test_times_are_dst_correct(at: datetime, shown: str) -> None:
    """Instants either side of a DST change show their own offset and zone name."""
    message = Templates().render(_request(incident("INC-7", at=at), locale="de"))
    assert shown in message.body


def test_locale_fallback_chain() -> None:
    """de_AT falls back to de; an unknown locale to the desk's default, then to en."""
    templates = Templates(
        default_locale="de",
        overrides={"ticket_received": {"de_AT": "[{{ ticket.id }}] Servus\n\nGrüß Gott"}},
    )
    austrian = templates.render(_request(locale="de_AT"))
    assert ("[INC-7] Servus", "de_AT") == (austrian.subject, austrian.locale)
    swiss = templates.render(_request(locale=templates.locale_for("de_CH")))
    assert swiss.subject.startswith("[INC-7] Wir haben")
    assert "de" == templates.locale_for("xx_YY")  # not a locale: the default
    french = templates.render(_request(locale=templates.locale_for("fr")))
    assert french.subject.startswith("[INC-7] Wir haben")  # no French: the default, de
    assert "fr" == french.locale  # ... with French formats
    english_desk = Templates()
    assert english_desk.render(_request(locale="fr")).subject.startswith("[INC-7] We have")


def test_an_unknown_template_name_falls_back_to_the_notice() -> None:
    """A rule's own template name without a template is written by the `notice` template."""
    message = Templates().render(_request(template="p1_page", audience=Audience.STAFF, locale="en"))
    assert "[INC-7] VPN down" == message.subject
    assert "needs your attention" in message.body


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Subject\n\n{% if %}", r"template 'ticket_resolved' \(de\), line 3: .*"),
        (
            "Subject\n\n{{ ticket.titel }}",
            r"\(de\), line 3: unknown variable `ticket.titel` "
            r"\(did you mean `title`\?\)",
        ),
        (
            "Subject {{ tiket.id }}\n\nBody",
            r"\(de\), line 1: unknown variable `tiket` "
            r"\(did you mean `ticket`\?\)",
        ),
        ("Subject\n\nBody\n{{ event.body }}", r"\(de\), line 4: unknown variable `event.body`"),
        ("", r"\(de\), line 1: the first line is the subject"),
    ],
)
def test_a_bad_template_is_a_config_error_naming_it(source: str, expected: str) -> None:
    """Syntax errors and unknown variables name the template, the locale and the line."""
    with pytest.raises(ConfigError, match=expected):
        Templates(overrides={"ticket_resolved": {"de": source}})


def test_folder_overrides_by_name_and_locale(tmp_path: Path) -> None:
    """A host's folder replaces one template in one locale; the rest stay shipped."""
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "ticket_received.txt").write_text(
        "[{{ ticket.id }}] Got it\n\nThanks, {{ recipient }}.\n", encoding="utf-8"
    )
    (tmp_path / "en" / "ticket_received.html").write_text(
        "<p>Thanks, {{ recipient }}: {{ ticket.title }}</p>", encoding="utf-8"
    )
    templates = Templates(folder=tmp_path)
    ticket = incident("INC-7", title="<b>VPN</b> down")
    message = templates.render(_request(ticket))
    assert ("[INC-7] Got it", "Thanks, Ann.\n") == (message.subject, message.body)
    assert "<p>Thanks, Ann: &lt;b&gt;VPN&lt;/b&gt; down</p>" == message.html  # escaped
    assert templates.render(_request(ticket, locale="de")).subject.startswith("[INC-7] Wir")


def test_text_is_not_escaped_but_html_is() -> None:
    """Autoescape is for HTML only: the text body shows the title as written."""
    templates = Templates(
        overrides={
            "ticket_received": {
                "en": {"text": "S\n\n{{ ticket.title }}", "html": "{{ ticket.title }}"}
            }
        }
    )
    message = templates.render(_request(incident("INC-7", title="a < b")))
    assert ("a < b\n", "a &lt; b") == (message.body, message.html)


def test_templates_run_in_a_sandbox() -> None:
    """A template cannot reach Python internals: the sandbox refuses it when rendering."""
    from jinja2.exceptions import SecurityError

    templates = Templates(
        overrides={"ticket_received": {"en": "S\n\n{{ recipient.__class__.__mro__ }}"}}
    )
    with pytest.raises(SecurityError):
        templates.render(_request())


def test_toml_messages_section(tmp_path: Path) -> None:
    """`[messages]` sets the default locale, a folder next to the file, and inline templates."""
    (tmp_path / "mine" / "de").mkdir(parents=True)
    (tmp_path / "mine" / "de" / "ticket_resolved.txt").write_text(
        "[{{ ticket.id }}] Erledigt\n\nHallo {{ recipient }}.\n", encoding="utf-8"
    )
    config = tmp_path / "desk.toml"
    config.write_text(
        '[messages]\ndefault_locale = "de"\nfolder = "mine"\n'
        '[messages.templates.ticket_received]\nde = "[{{ ticket.id }}] Da\\n\\nAngekommen."\n'
        '[people."ann"]\nname = "Ann"\n',
        encoding="utf-8",
    )
    desk = load_desk(config)
    assert desk.messages is not None
    assert "[INC-7] Da" == desk.renderer.render(_request(locale="de")).subject
    resolved = desk.renderer.render(_request(template="ticket_resolved", locale="de"))
    assert "[INC-7] Erledigt" == resolved.subject


def test_toml_messages_errors_are_config_errors() -> None:
    """A bad inline template or locale in `[messages]` fails the load, naming it."""
    with pytest.raises(ConfigError, match=r"'ticket_received' \(en\), line 1"):
        load_desk({"messages": {"templates": {"ticket_received": {"en": "{{ nope }}"}}}})
    with pytest.raises(ConfigError, match=r"messages\.default_locale"):
        load_desk({"messages": {"default_locale": "not a locale"}})


def test_one_group_keeps_the_key_several_get_a_suffix() -> None:
    """Recipients in one (locale, zone) share one notification with today's key; several
    groups get one each, keyed `@<locale>/<zone>`."""
    people = MappingPeople(
        {
            "lee": {"locale": "de", "timezone": "Europe/Berlin"},
            "kim": {"locale": "en_GB", "timezone": "Europe/London"},
            "sam": {"locale": "de", "timezone": "Europe/Berlin"},
        }
    )
    from deskflow.escalation import Notify

    ticket = Notify(
        recipients=["lee", "kim", "sam"],
        template="sla-breach",
        dedup_key="k",
        reason="resolution passed 100%",
    ).apply_to(incident("INC-7"), INCIDENT, T0)
    from deskflow.outbox import queue_notifications

    _, sent = queue_notifications(
        None, ticket, T0, renderer=Templates(), people=people, zone=ZoneInfo("UTC")
    )
    breach = {n.dedup_key: n.recipients for n in sent if n.template == "sla-breach"}
    assert {
        "INC-7#1:sla-breach@de/Europe/Berlin": ("lee", "sam"),
        "INC-7#1:sla-breach@en_GB/Europe/London": ("kim",),
    } == breach
    alone = MappingPeople({k: {"locale": "de"} for k in ("lee", "kim", "sam")})
    _, sent = queue_notifications(None, ticket, T0, renderer=Templates(), people=alone)
    assert ["INC-7#1:sla-breach"] == [n.dedup_key for n in sent if n.template == "sla-breach"]


def test_a_failing_renderer_falls_back_to_the_plain_message() -> None:
    """A template that breaks at send time does not refuse the change: plain text goes."""

    @attrs.frozen
    class Broken(PlainRenderer):
        def render(self, request: MessageRequest) -> RenderedMessage:
            raise RuntimeError("boom")

    rig = helpdesk(Desk(messages=Broken()))
    opened = rig.desk.open(ANN, title="VPN down")
    rig.desk.deliver_pending()
    assert [f"[{opened.id}] VPN down"] == [n.subject for n in rig.notifier.sent]


def test_plain_renderer_keeps_the_audit_line() -> None:
    """A desk with the PlainRenderer sends the subject `[id] title` and the event line."""
    rig = helpdesk(Desk(messages=PlainRenderer()))
    opened = rig.desk.open(ANN, title="VPN down")
    rig.desk.deliver_pending()
    (sent,) = rig.notifier.sent
    assert (f"[{opened.id}] VPN down", None) == (sent.subject, sent.locale)
    assert sent.body.startswith("opened incident")


def test_staff_get_their_own_templates() -> None:
    """The assignee is told in staff words, with the requester's name."""
    people = MappingPeople({"ann": {"name": "Ann Smith"}, "kim": {"name": "Kim"}})
    rig = helpdesk(Desk(people=people))
    opened = rig.desk.open(ANN, title="VPN down")
    rig.desk.assign(SAM, opened.id, assignee=KIM.id)
    rig.desk.deliver_pending()
    (assigned,) = [n for n in rig.notifier.sent if n.template == "ticket_assigned"]
    assert f"[{opened.id}] Assigned to you: VPN down" == assigned.subject
    assert assigned.body.startswith("Hello Kim,")
    assert "from Ann Smith was assigned to you" in assigned.body


def test_every_template_is_documented_with_its_variables() -> None:
    """docs/notifications.md lists every template with its event variables, and every
    common and ticket variable."""
    from deskflow._internal.template_catalog import COMMON, EVENT_COMMON, TICKET

    docs = (Path(__file__).parents[2] / "docs" / "notifications.md").read_text("utf-8")
    for name, info in CATALOG.items():
        (row,) = [line for line in docs.splitlines() if line.startswith(f"| `{name}` |")]
        if name != "notice":  # the fallback's event may carry anything
            assert all(f"`{variable}`" in row for variable in info.event)
    for variable in (
        *COMMON,
        *(f"ticket.{t}" for t in TICKET),
        *(f"event.{e}" for e in EVENT_COMMON),
    ):
        assert f"| `{variable}` |" in docs


def test_escalation_reasons_show_times_as_the_reader_reads_them() -> None:
    """An SLA notice's reason carries its instant in the reader's zone, not an ISO stamp."""
    from deskflow.escalation import Notify

    ticket = Notify(
        recipients=["lee"],
        template="sla-breach",
        dedup_key="k",
        reason="resolution passed 100% at 2026-03-02T10:00:00+00:00",
    ).apply_to(incident("INC-7"), INCIDENT, T0)
    message = Templates().render(
        _request(ticket, template="sla-breach", locale="de", audience=Audience.STAFF)
    )
    assert "Anlass: Lösung: 100 % der Zielzeit erreicht am 2. März 2026, 11:00 MEZ" in message.body
    assert "2026-03-02T" not in message.body


def test_escalation_reasons_name_the_clock_as_people_do() -> None:
    """A reason's metric id (``next_response``) reads as words in the reader's language."""
    from deskflow.escalation import Notify

    ticket = Notify(
        recipients=["lee"],
        template="sla-warning",
        dedup_key="k",
        reason="next_response passed 50% at 2026-03-02T10:00:00+00:00",
    ).apply_to(incident("INC-7"), INCIDENT, T0)
    for locale, expected in (
        ("en_GB", "Why: next response time passed 50% at 2 March 2026, 11:00 CET"),
        ("de", "Anlass: Folgereaktion: 50 % der Zielzeit erreicht am 2. März 2026, 11:00 MEZ"),
    ):
        message = Templates().render(
            _request(ticket, template="sla-warning", locale=locale, audience=Audience.STAFF)
        )
        assert expected in message.body
        assert "next_response" not in message.body


def test_staff_notices_never_say_assigned_beside_not_assigned() -> None:
    """A ticket in the ``assigned`` state with nobody named reads as waiting in its queue."""
    from deskflow.escalation import Notify

    ticket = Notify(recipients=["lee"], template="sla-warning", dedup_key="k", reason="x").apply_to(
        incident("INC-7"), INCIDENT, T0
    )
    ticket = attrs.evolve(ticket, state="assigned", group="network", assignee=None)
    for locale in SHIPPED_LOCALES:
        for name in ("sla-warning", "sla-breach", "escalation_notice", "ladder-page"):
            body = (
                Templates()
                .render(_request(ticket, template=name, locale=locale, audience=Audience.STAFF))
                .body
            )
            assert "not assigned" not in body
            assert "niemand zugewiesen" not in body
            assert "network" in body


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 100000000 }}",
        "{{ [0] * 100000000 }}",
        "{{ 10 ** 100000000 }}",
        "{{ 2 ** 64 ** 64 ** 64 }}",
    ],
)
def test_a_template_cannot_build_a_huge_value(source: str) -> None:
    """An admin's template that would build a huge string, list or number is stopped by
    the sandbox, so the desk sends the plain message instead of storing it."""
    from jinja2.exceptions import SecurityError

    templates = Templates(overrides={"ticket_received": {"en": "Subject\n" + source}})
    with pytest.raises(SecurityError):
        templates.render(_request())


def test_lorem_ipsum_is_no_variable_of_a_message() -> None:
    """Jinja2's ``lipsum`` (slow for large counts, useless in a message) is not offered."""
    with pytest.raises(ConfigError, match="lipsum"):
        Templates(overrides={"ticket_received": {"en": "Subject\n{{ lipsum(5) }}"}})
