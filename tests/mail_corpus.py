"""
A corpus of inbound mail the intake tests build: replies as the common clients write them,
forwards, bounces, auto-replies and out-of-office notices.

Every builder returns the raw bytes a mailbox would hold. The reply bodies copy the shapes
the clients produce (attribution lines, Outlook's header block, German variants, mobile
footers); the wording of the new text is the test's own.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from html import escape

from deskflow.mail import MailIds

#: The desk's mail identity in these tests.
IDS = MailIds(domain="desk.example", secret=b"corpus-secret-0123456789")
DESK = "support@desk.example"
ANN_MAIL = "ann@example.com"
ZOE_MAIL = "zoe@example.com"

QUOTED = "Please restart the VPN client and tell us whether it connects."


def mail(
    body: str = "The VPN drops every ten minutes.",
    *,
    sender: str = f"Ann Smith <{ANN_MAIL}>",
    to: str = DESK,
    cc: str | None = None,
    subject: str = "VPN down",
    message_id: str | None = "<m1@example.com>",
    in_reply_to: str | None = None,
    references: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    """
    One mail from Ann to the desk unless the arguments say otherwise.
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 09:30:00 +0100"
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, ctype, data in attachments:
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes(policy=SMTP)


def reply_to(ticket_id: str, new_text: str, *, client: str = "gmail", **kw: object) -> bytes:
    """
    A reply to the desk's notification about ``ticket_id``, as ``client`` writes it.
    """
    body, html = CLIENTS[client](new_text)
    notification = IDS.message_id(f"{ticket_id}#1:ticket_received")
    kw.setdefault("in_reply_to", notification)
    kw.setdefault("references", f"{IDS.thread_id(ticket_id)} {notification}")
    kw.setdefault("subject", f"Re: [{ticket_id}] VPN down")
    kw.setdefault("message_id", f"<r-{ticket_id}-{abs(hash(new_text))}@example.com>")
    return mail(body, html=html, **kw)  # type: ignore[arg-type]


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines())


def gmail(new: str) -> tuple[str, str | None]:
    """
    Gmail: the attribution wrapped over two lines, then ``>`` lines.
    """
    text = (
        f"{new}\n\nOn Mon, 2 Mar 2026 at 09:14, Service Desk <{DESK}>\nwrote:\n\n{_quote(QUOTED)}\n"
    )
    html = (
        f'<div dir="ltr">{escape(new)}</div><br><div class="gmail_quote"><div dir="ltr" '
        f'class="gmail_attr">On Mon, 2 Mar 2026 at 09:14, Service Desk &lt;{DESK}&gt; '
        f'wrote:<br></div><blockquote class="gmail_quote">{QUOTED}</blockquote></div>'
    )
    return text, html


def outlook(new: str) -> tuple[str, str | None]:
    """
    Outlook desktop: the new text, a rule line and a header block.
    """
    text = (
        f"{new}\n\n________________________________\n"
        f"From: Service Desk <{DESK}>\nSent: Monday, March 2, 2026 9:14 AM\n"
        f"To: Ann Smith <{ANN_MAIL}>\nSubject: [INC-1] VPN down\n\n{QUOTED}\n"
    )
    return text, None


def outlook_de(new: str) -> tuple[str, str | None]:
    """
    Outlook in German: ``Von:``/``Gesendet:``/``An:``/``Betreff:`` after an original-message line.
    """
    text = (
        f"{new}\n\n-----Ursprüngliche Nachricht-----\nVon: Service Desk <{DESK}>\n"
        f"Gesendet: Montag, 2. März 2026 09:14\nAn: Ann Smith <{ANN_MAIL}>\n"
        f"Betreff: [INC-1] VPN down\n\n{QUOTED}\n"
    )
    return text, None


def outlook_html(new: str) -> tuple[str, str | None]:
    """
    Outlook on the web (HTML only, shown by the test as plain fallback too): divRplyFwdMsg.
    """
    html = (
        f"<html><body><div>{escape(new)}</div><hr style='display:inline-block;width:98%'>"
        f'<div id="divRplyFwdMsg"><b>From:</b> Service Desk &lt;{DESK}&gt;<br>'
        f"<b>Sent:</b> Monday, March 2, 2026 9:14 AM<br><b>To:</b> Ann Smith<br>"
        f"<b>Subject:</b> [INC-1] VPN down</div><div>{QUOTED}</div></body></html>"
    )
    return "", html


def apple(new: str) -> tuple[str, str | None]:
    """
    Apple Mail on a Mac: ``On 2 Mar 2026, at 09:14, ... wrote:`` and ``>`` lines.
    """
    text = (
        f"{new}\n\n> On 2 Mar 2026, at 09:14, Service Desk <{DESK}> wrote:\n>\n{_quote(QUOTED)}\n"
    )
    return text, None


def iphone(new: str) -> tuple[str, str | None]:
    """
    Mail on an iPhone: the footer, then the attribution.
    """
    text = (
        f"{new}\n\nSent from my iPhone\n\nOn 2 Mar 2026, at 09:14, Service Desk "
        f"<{DESK}> wrote:\n\n{_quote(QUOTED)}\n"
    )
    return text, None


def android_outlook(new: str) -> tuple[str, str | None]:
    """
    Outlook for Android: "Get Outlook for Android" and a header block.
    """
    text = (
        f"{new}\n\nGet Outlook for Android\n"
        f"________________________________\nFrom: Service Desk <{DESK}>\n"
        f"Sent: Monday, March 2, 2026 9:14:00 AM\nTo: Ann Smith <{ANN_MAIL}>\n"
        f"Subject: [INC-1] VPN down\n\n{QUOTED}\n"
    )
    return text, None


def thunderbird_de(new: str) -> tuple[str, str | None]:
    """
    Thunderbird in German, with a ``-- `` signature: ``Am 02.03.26 um 09:14 schrieb ...:``.
    """
    text = (
        f"{new}\n\n-- \nAnn Smith\nBuchhaltung\n\nAm 02.03.26 um 09:14 schrieb Service Desk:\n"
        f"{_quote(QUOTED)}\n"
    )
    return text, None


def gmail_de(new: str) -> tuple[str, str | None]:
    """
    Gmail in German: ``Am Mo., 2. März 2026 um 09:14 Uhr schrieb ... <...>:``.
    """
    text = (
        f"{new}\n\nAm Mo., 2. März 2026 um 09:14 Uhr schrieb Service Desk <\n{DESK}>:\n\n"
        f"{_quote(QUOTED)}\n"
    )
    return text, None


def iphone_de(new: str) -> tuple[str, str | None]:
    """
    An iPhone set to German: "Von meinem iPhone gesendet" and ``Am ... schrieb ...:``.
    """
    text = (
        f"{new}\n\nVon meinem iPhone gesendet\n\nAm 02.03.2026 um 09:14 schrieb Service Desk "
        f"<{DESK}>:\n\n{_quote(QUOTED)}\n"
    )
    return text, None


def gmx_de(new: str) -> tuple[str, str | None]:
    """
    GMX and web.de: "Gesendet:" above "Von:", no rule line.
    """
    text = (
        f"{new}\n\nGesendet: Montag, 02. März 2026 um 09:14 Uhr\n"
        f'Von: "Service Desk" <{DESK}>\nAn: {ANN_MAIL}\nBetreff: [INC-1] VPN down\n\n{QUOTED}\n'
    )
    return text, None


def outlook_mac(new: str) -> tuple[str, str | None]:
    """
    Outlook for Mac: a header block with "Date:", after a "Sent via" footer.
    """
    text = (
        f"{new}\n\nSent via the Samsung Galaxy S23\n\nFrom: Service Desk <{DESK}>\n"
        f"Date: Monday, 2 March 2026 at 09:14\nTo: Ann Smith <{ANN_MAIL}>\n"
        f"Subject: [INC-1] VPN down\n\n{QUOTED}\n"
    )
    return text, None


CLIENTS = {
    "gmail": gmail,
    "outlook": outlook,
    "outlook_de": outlook_de,
    "outlook_html": outlook_html,
    "apple": apple,
    "iphone": iphone,
    "android_outlook": android_outlook,
    "thunderbird_de": thunderbird_de,
    "gmail_de": gmail_de,
    "iphone_de": iphone_de,
    "gmx_de": gmx_de,
    "outlook_mac": outlook_mac,
}


def gmail_forward() -> bytes:
    """
    Ann forwards a vendor's mail to the desk with Gmail.
    """
    body = (
        "Can you look at this? Our certificate seems to expire.\n\n"
        "---------- Forwarded message ---------\nFrom: Vendor <noreply@vendor.example>\n"
        "Date: Mon, 2 Mar 2026 at 08:00\nSubject: Certificate expires in 3 days\n"
        "To: <ann@example.com>\n\nYour certificate for vpn.example.com expires on 5 March.\n"
    )
    return mail(body, subject="Fwd: Certificate expires in 3 days")


def outlook_forward() -> bytes:
    """
    Ann forwards a vendor's mail with Outlook: ``FW:`` and a header block.
    """
    body = (
        "See below, please renew.\n\n________________________________\n"
        "From: Vendor <noreply@vendor.example>\nSent: Monday, March 2, 2026 8:00 AM\n"
        "To: Ann Smith <ann@example.com>\nSubject: Certificate expires in 3 days\n\n"
        "Your certificate for vpn.example.com expires on 5 March.\n"
    )
    return mail(body, subject="FW: Certificate expires in 3 days")


def bounce() -> bytes:
    """
    A delivery status notification (RFC 3464) for a notification the desk sent.
    """
    return (
        b"Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        b"To: support@desk.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce1@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at mx.example.com."
        b"\r\n\r\n--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; gone@example.com"
        b"\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b1--\r\n"
    )


def auto_reply(ticket_id: str = "INC-1", *, subject: str | None = None) -> bytes:
    """
    A vacation responder done right (RFC 3834): ``Auto-Submitted: auto-replied``.
    """
    return reply_to(
        ticket_id,
        "I am away until 9 March with no access to mail.",
        subject=subject or f"Auto: Re: [{ticket_id}] VPN down",
        headers={"Auto-Submitted": "auto-replied"},
    )


def exchange_out_of_office(ticket_id: str = "INC-1") -> bytes:
    """
    Exchange's out-of-office notice: ``Automatic reply:`` and its own headers.
    """
    return reply_to(
        ticket_id,
        "I am out of the office until Monday.",
        subject=f"Automatic reply: [{ticket_id}] VPN down",
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )


def old_out_of_office(ticket_id: str = "INC-1") -> bytes:
    """
    An old responder that sets no header at all: only its subject gives it away.
    """
    return mail(
        "Ich bin bis 9. März nicht im Büro.",
        subject=f"Abwesenheitsnotiz: [{ticket_id}] VPN down",
        message_id="<ooo@example.com>",
    )
