"""
Reading inbound mail: the facts `parse` takes out, and the bad input it refuses.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deskflow.exceptions import InvalidInput
from deskflow.mail import Attachment, parse
from deskflow.mail.quotes import is_thanks, strip_reply
from mail_corpus import ANN_MAIL, DESK, bounce, mail


def test_the_facts_of_a_plain_mail() -> None:
    """
    Sender, recipients, subject and ids are read, addresses lower-cased and de-duplicated.
    """
    got = parse(
        mail(
            sender="Ann Smith <Ann@Example.COM>",
            to=f"{DESK}, Lee <lee@desk.example>",
            cc="Zoe <zoe@example.com>, zoe@example.com",
            in_reply_to="<a@x.example>",
            references="<r1@x.example> <r2@x.example>",
            headers={"Auto-Submitted": "No", "Precedence": "Bulk"},
        )
    )
    assert (ANN_MAIL, "Ann Smith") == (got.sender, got.sender_name)
    assert (DESK, "lee@desk.example") == got.to
    assert ("zoe@example.com",) == got.cc
    assert ("<m1@example.com>", ("<a@x.example>",)) == (got.message_id, got.in_reply_to)
    assert ("<r1@x.example>", "<r2@x.example>") == got.references
    assert ("no", "bulk") == (got.auto_submitted, got.precedence)
    assert "The VPN drops every ten minutes." == got.body


def test_the_date_is_read_with_its_offset() -> None:
    """
    The Date header becomes an aware datetime.
    """
    assert datetime(2026, 3, 2, 8, 30, tzinfo=UTC) == parse(mail()).date
    assert parse(mail(headers={})).date is not None
    assert parse(b"From: a@example.com\r\nDate: not a date\r\n\r\nx").date is None


def test_attachments_are_listed_with_name_type_and_size() -> None:
    """
    Each attachment is (name, type, decoded size); the text part is the body, not one.
    """
    got = parse(
        mail(
            attachments=(
                ("error.png", "image/png", b"\x89PNG" + b"0" * 96),
                ("log.txt", "text/plain", b"line\n" * 3),
            )
        )
    )
    assert (
        Attachment("error.png", "image/png", 100),
        Attachment("log.txt", "text/plain", 15),
    ) == got.attachments
    assert "The VPN drops every ten minutes." == got.body


def test_an_html_only_mail_is_read_as_text() -> None:
    """
    Without a text part, the HTML is reduced to text, blockquotes as quoted lines.
    """
    raw = (
        b"From: ann@example.com\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Geht wieder, danke&nbsp;!</p><blockquote>Bitte neu starten.</blockquote>"
        b"<script>alert(1)</script>"
    )
    got = parse(raw)
    assert got.from_html
    assert "Geht wieder, danke !\n\n> Bitte neu starten." == got.body


def test_a_bounce_is_a_delivery_status_notification() -> None:
    """
    multipart/report; report-type=delivery-status and Return-Path <> mark a bounce.
    """
    got = parse(bounce())
    assert ("delivery-status", True, True) == (got.report_type, got.null_sender, got.is_bounce)
    assert not parse(mail()).is_bounce


def test_a_mail_in_latin_1_is_decoded() -> None:
    """
    A declared charset Python knows decodes the body and encoded-word headers.
    """
    raw = (
        b"From: =?iso-8859-1?q?J=FCrgen?= <j@example.de>\r\nSubject: =?iso-8859-1?q?Dr=FCcker?=\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nDer Dr\xfccker streikt.\r\n"
    )
    got = parse(raw)
    assert ("Jürgen", "Drücker", "Der Drücker streikt.") == (got.sender_name, got.subject, got.body)


BAD = {
    "not a mail at all": b"\x00\xff\xfe garbage without headers",
    "no From": b"To: support@desk.example\r\nSubject: hi\r\n\r\nbody",
    "From without a domain": b"From: not an address\r\n\r\nbody",
    "two From lines": b"From: a@example.com\r\nFrom: b@example.com\r\n\r\nbody",
    "two Subject lines": b"From: a@example.com\r\nSubject: one\r\nSubject: two\r\n\r\nbody",
    "two Message-IDs": b"From: a@example.com\r\nMessage-ID: <a@x>\r\nMessage-ID: <b@x>\r\n\r\nx",
    "multipart without a boundary": (
        b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nno boundary here"
    ),
    "multipart whose boundary never starts": (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nplain text"
    ),
    "an unknown charset": (
        b"From: a@example.com\r\nContent-Type: text/plain; charset=x-martian\r\n\r\nbody"
    ),
    "corrupt base64": (
        b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!"
    ),
    "CR/LF in an encoded subject": (
        b"From: a@example.com\r\nSubject: =?utf-8?q?hi=0D=0ABcc=3A_victim=40example.com?=\r\n\r\nx"
    ),
    "CR/LF in an encoded display name": (
        b"From: =?utf-8?q?Ann=0D=0ABcc=3A_x=40y.example?= <a@example.com>\r\n\r\nx"
    ),
    "NUL in an encoded subject": b"From: a@example.com\r\nSubject: =?utf-8?q?a=00b?=\r\n\r\nx",
    "CR/LF in an attachment's name": (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''a%0D%0Ab.pdf\r\n\r\nxx\r\n--b--\r\n"
    ),
    "empty": b"",
}


@pytest.mark.parametrize("raw", BAD.values(), ids=BAD.keys())
def test_bad_input_is_invalid_input(raw: bytes) -> None:
    """
    Every kind of bad mail is an InvalidInput that says what is wrong.
    """
    with pytest.raises(InvalidInput):
        parse(raw)


def test_a_message_over_the_size_limit_is_refused_before_parsing() -> None:
    """
    A 50 MB message is refused by its size alone; the limit is the caller's to set.
    """
    big = mail() + b"x" * (50 * 1024 * 1024)
    with pytest.raises(InvalidInput, match="bytes; at most"):
        parse(big)
    with pytest.raises(InvalidInput, match="at most 100"):
        parse(mail(), max_bytes=100)


@pytest.mark.parametrize("value", ["text", None, 42])
def test_parse_takes_only_bytes(value: object) -> None:
    """
    A str (already decoded, charsets lost) or anything else is refused.
    """
    with pytest.raises(InvalidInput, match="a mail is bytes"):
        parse(value)  # type: ignore[arg-type]


def test_a_missing_close_boundary_is_tolerated() -> None:
    """
    A multipart cut short after its last part (common in real mail) is still read.
    """
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain\r\n\r\nStill readable.\r\n"
    )
    assert "Still readable." == parse(raw).body


def test_strip_reply_keeps_inline_answers() -> None:
    """
    Quoted lines followed by the person's answers are not a trailing quote: they stay.
    """
    text = "> Which version?\n4.2\n> Which OS?\nWindows 11"
    assert text == strip_reply(text)


def test_strip_reply_keeps_a_message_that_is_only_a_quote() -> None:
    """
    A cut that would leave nothing keeps the text.
    """
    assert "> just a quote" == strip_reply("\n> just a quote\n\n")


def test_strip_reply_keeps_an_unmarked_sign_off() -> None:
    """
    A sign-off without the ``-- `` mark is the person's text and is kept.
    """
    assert "Works now.\n\nBest regards\nAnn" == strip_reply("Works now.\n\nBest regards\nAnn")


def test_strip_reply_keeps_ordinary_sentences_with_wrote_or_from() -> None:
    """
    "wrote:" or "From:" in the middle of a person's text do not cut it.
    """
    text = (
        "My colleague wrote: the VPN is down.\nFrom: the 3rd floor, all of us.\n\n"
        "Please move my desk\nFrom: Berlin\nTo: Munich\nOn Friday."
    )
    assert text == strip_reply(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks!",
        "thank you very much",
        "Danke!",
        "Vielen Dank, Ann",
        "Super, danke schön :)",
        "Great, thanks - it works now",
        "thx",
        "Merci",
    ],
)
def test_a_bare_thank_you(text: str) -> None:
    """
    Short thanks, in English and German, with fillers and the sender's name.
    """
    assert is_thanks(text, name="Ann Smith")


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, but it is still down",
        "Danke, aber der Drucker geht immer noch nicht",
        "It works now",
        "",
        "Thanks " * 20,
    ],
)
def test_not_a_bare_thank_you(text: str) -> None:
    """
    Thanks with a new problem, text without thanks, and long text are not bare thanks.
    """
    assert not is_thanks(text)


def test_text_around_an_inline_image_is_one_body() -> None:
    """
    Apple Mail's text, inline image, text: the body holds both texts, the image is listed.
    """
    raw = (
        b"From: ann@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain\r\n\r\nThe error:\r\n--b\r\nContent-Type: image/png\r\n"
        b"Content-Disposition: inline; filename=err.png\r\nContent-Transfer-Encoding: base64"
        b"\r\n\r\naGVsbG8=\r\n--b\r\nContent-Type: text/plain\r\n\r\nIt shows every morning.\r\n"
        b"--b--\r\n"
    )
    got = parse(raw)
    assert "The error:\n\nIt shows every morning." == got.body
    assert (Attachment("err.png", "image/png", 5),) == got.attachments


def test_a_mail_forwarded_as_an_attachment_is_listed() -> None:
    """
    A message/rfc822 part is an attachment of its own size, not read into the body.
    """
    inner = mail("the forwarded text", subject="inner")
    raw = (
        b"From: ann@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: message/rfc822"
        b"\r\n\r\n" + inner + b"\r\n--b--\r\n"
    )
    got = parse(raw)
    assert "See attached." == got.body
    assert [("message/rfc822", True)] == [(a.content_type, a.size > 0) for a in got.attachments]
