"""
Properties of mail in: parsing refuses only with InvalidInput, stripping is idempotent and
only ever removes text, and whatever arrives, the intake stores nothing unless it says so.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import helpdesk
from deskflow.exceptions import InvalidInput
from deskflow.mail import EmailIntake, IntakeAction, parse, strip_reply
from deskflow.queries import TicketQuery
from mail_corpus import CLIENTS, DESK, IDS, mail, reply_to

HEADER_NAMES = st.sampled_from(
    ["From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type",
     "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted", "Precedence",
     "Return-Path", "Date", "MIME-Version", "X-Junk"]
)  # fmt: skip
HEADER_VALUES = st.one_of(
    st.binary(max_size=60),
    st.sampled_from(
        [b"ann@example.com", b"<a@b>", b"=?utf-8?q?a=0D=0Ab?=", b"=?x-bad?b?!!?=",
         b"multipart/mixed; boundary=q", b"text/plain; charset=x-nope", b"base64",
         b"text/html", b"attachment; filename*=utf-8''%0A", b"<>", b"auto-replied",
         b'multipart/report; report-type=delivery-status; boundary="q"']
    ),
)  # fmt: skip
BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"--q\r\nContent-Type: text/plain\r\n\r\nhi\r\n--q--", b"--q\r\n\r\n"]),
)


@st.composite
def raw_mails(draw: st.DrawFn) -> bytes:
    """
    Header lines and a body, each drawn from likely and hostile pieces.
    """
    lines = draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=8))
    head = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in lines)
    return head + b"\r\n" + draw(BODIES)


@given(st.one_of(st.binary(max_size=400), raw_mails()))
def test_parse_raises_nothing_but_invalid_input(raw: bytes) -> None:
    """
    Random bytes and hostile header mixes are read or refused with InvalidInput only.
    """
    try:
        got = parse(raw)
    except InvalidInput:
        return
    assert "@" in got.sender
    for text in (got.subject, got.sender_name, *got.to, *got.cc):
        assert len(f"x{text}x".splitlines()) == 1


LINES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["> quoted", "-- ", "--", "Sent from my iPhone", "On Mon, 2 Mar 2026, Ann <a@b> wrote:",
         "Am 02.03.2026 um 09:14 schrieb Ann <a@b>:", "From: Desk <d@x>", "Sent: Monday",
         "Von: Desk", "Gesendet: Montag", "________________________________", "",
         "-----Original Message-----", "Thanks!", "wrote:", ">", "  > deep"]
    ),
)  # fmt: skip


@given(st.lists(LINES, max_size=25).map("\n".join), st.booleans())
def test_stripping_is_idempotent_and_only_removes(text: str, keep: bool) -> None:
    """
    strip(strip(x)) == strip(x), and every line left was a line of x.
    """
    once = strip_reply(text, keep_if_empty=keep)
    assert once == strip_reply(once, keep_if_empty=keep)
    source = {line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")}
    assert all(line in source for line in once.split("\n") if line)


@given(st.sampled_from(sorted(CLIENTS)), st.text(min_size=1, max_size=80))
def test_each_client_reply_strips_to_what_was_written(client: str, new: str) -> None:
    """
    For a one-line text with no marks of its own, every client's reply strips to it.
    """
    line = " ".join(new.split())
    if not line or strip_reply(line) != line or line.startswith(">"):
        return
    body = parse(reply_to("INC-1", line, client=client)).body
    assert line == strip_reply(body)


SUBJECT_CHARS = st.characters(blacklist_categories=["Cc", "Cs", "Zl", "Zp"])


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        raw_mails(), st.builds(lambda s: mail(subject=s), st.text(SUBJECT_CHARS, max_size=30))
    )
)
def test_the_intake_stores_only_what_it_says_it_stored(raw: bytes) -> None:
    """
    Whatever arrives, handle() returns; an ignored or refused mail changes nothing.
    """
    rig = helpdesk()
    result = EmailIntake(rig.desk, IDS, addresses=[DESK]).handle(raw)
    tickets = rig.repo.find(TicketQuery()).items
    assert result.stored == bool(tickets)
    if result.action is IntakeAction.OPENED:
        assert [result.ticket_id] == [t.id for t in tickets]
