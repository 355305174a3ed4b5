"""
Email as logic, not a server: the desk's Message-ID scheme (`deskflow.mail.ids`), outbound
messages (`deskflow.mail.smtp`) and the intake of inbound mail.
"""

from __future__ import annotations

from deskflow.mail.ids import MailIds, MailRef, find_subject_token, subject_token

__all__ = ["MailIds", "MailRef", "find_subject_token", "subject_token"]

# Email out (deskflow.mail.smtp): the stdlib only, so importing it costs nothing extra.
from deskflow.mail.smtp import SmtpNotifier, build_message, mail_address

__all__ += ["SmtpNotifier", "build_message", "mail_address"]
