"""Sending one reply over SMTP (stdlib smtplib, run in a thread by the caller).

The mail says it was generated automatically (RFC 3834 ``Auto-Submitted``, Exchange's
``X-Auto-Response-Suppress``) so that other robots do not answer it, and carries our Message-ID
and the enterprise's In-Reply-To/References so its mail client threads it.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from .config import MailSettings
from .outbox import OutgoingMail


class SmtpFailed(Exception):
    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.detail, self.permanent = detail, permanent


def build_message(mail: OutgoingMail, settings: MailSettings, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    local, _, domain = settings.address.partition("@")
    msg["From"] = Address(settings.display_name, local, domain)
    msg["To"] = mail.to_addr
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = mail.message_id
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
        msg["References"] = mail.in_reply_to
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(mail.body, charset="utf-8")
    return msg


def send_blocking(msg: EmailMessage, settings: MailSettings) -> None:
    """Hand the mail to the server; SmtpFailed says whether trying again may help."""
    assert settings.smtp_host is not None
    try:
        if settings.smtp_tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                    timeout=settings.timeout_s, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_s)
        with client:
            if settings.smtp_tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            client.ehlo_or_helo_if_needed()
            if settings.smtp_user and settings.smtp_password and client.has_extn("auth"):
                client.login(settings.smtp_user, settings.smtp_password)
            client.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise SmtpFailed(f"recipient refused ({codes})", permanent=all(c >= 500 for c in codes)) from None
    except smtplib.SMTPAuthenticationError as exc:  # our configuration; retried once it is fixed
        raise SmtpFailed(f"login refused ({exc.smtp_code})", permanent=False) from None
    except smtplib.SMTPResponseException as exc:
        raise SmtpFailed(f"server answered {exc.smtp_code}", permanent=exc.smtp_code >= 500) from None
    except (smtplib.SMTPException, OSError) as exc:  # down, unreachable, TLS, timeout
        raise SmtpFailed(f"{type(exc).__name__}: {exc}"[:200], permanent=False) from None
