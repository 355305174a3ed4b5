"""
Email as logic, not a server: the desk's Message-ID scheme (`deskflow.mail.ids`), outbound
messages (`deskflow.mail.smtp`) and the intake of inbound mail (`deskflow.mail.inbound`,
`deskflow.mail.quotes`, `deskflow.mail.intake`). The standard library only.
"""

from __future__ import annotations

from deskflow.mail.ids import MailIds, MailRef, find_subject_token, subject_token
from deskflow.mail.inbound import MAX_MESSAGE_BYTES, Attachment, InboundMail, parse
from deskflow.mail.intake import EmailIntake, IntakeAction, IntakeResult
from deskflow.mail.quotes import is_thanks, strip_reply
from deskflow.mail.smtp import SmtpNotifier, build_message, mail_address

__all__ = [
    "MAX_MESSAGE_BYTES",
    "Attachment",
    "EmailIntake",
    "InboundMail",
    "IntakeAction",
    "IntakeResult",
    "MailIds",
    "MailRef",
    "SmtpNotifier",
    "build_message",
    "find_subject_token",
    "is_thanks",
    "mail_address",
    "parse",
    "strip_reply",
    "subject_token",
]
