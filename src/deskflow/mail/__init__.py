"""
Email as logic, not a server: the desk's Message-ID scheme (`deskflow.mail.ids`), outbound
messages (`deskflow.mail.smtp`) and the intake of inbound mail.
"""

from __future__ import annotations

from deskflow.mail.ids import MailIds, MailRef, find_subject_token, subject_token

__all__ = ["MailIds", "MailRef", "find_subject_token", "subject_token"]

# Mail in (helper C): parsing, quote stripping and the intake.
from deskflow.mail.inbound import MAX_MESSAGE_BYTES, Attachment, InboundMail, parse
from deskflow.mail.intake import EmailIntake, IntakeAction, IntakeResult
from deskflow.mail.quotes import is_thanks, strip_reply

__all__ += [
    "MAX_MESSAGE_BYTES",
    "Attachment",
    "EmailIntake",
    "InboundMail",
    "IntakeAction",
    "IntakeResult",
    "is_thanks",
    "parse",
    "strip_reply",
]
