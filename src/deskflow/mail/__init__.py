"""
Email as logic, not a server: the desk's Message-ID scheme (`deskflow.mail.ids`), outbound
messages (`deskflow.mail.smtp`) and the intake of inbound mail.
"""

from __future__ import annotations

from deskflow.mail.ids import MailIds, MailRef, find_subject_token, subject_token

__all__ = ["MailIds", "MailRef", "find_subject_token", "subject_token"]
