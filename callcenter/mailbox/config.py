"""The mailbox's settings, from ZHITONG_MAIL_* (pure). Off unless an IMAP host is configured.

TLS: "ssl" (implicit TLS, IMAPS 993 / SMTPS 465), "starttls" (upgrade a plain connection, 143 /
587), or "off" (only for a server on the same host, e.g. the tests' dovecot).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field


class MailSettingsError(Exception):
    error_id = "bad-settings"


TLS_MODES = ("ssl", "starttls", "off")


@dataclass(frozen=True)
class MailSettings:
    imap_host: str
    imap_port: int
    imap_tls: str
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    poll_interval_s: float = 60.0  # without IDLE: how often the folder is searched; with it, the longest wait
    smtp_host: str | None = None  # None: replies are queued but not sent
    smtp_port: int = 465
    smtp_tls: str = "ssl"
    smtp_user: str | None = None
    smtp_password: str = field(default="", repr=False)
    address: str = ""  # our From address
    display_name: str = "直通热线"
    max_mail_bytes: int = 30 << 20  # a larger mail is read only this far: text kept, attachments dropped
    node: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}"[:64])
    timeout_s: float = 60.0

    @property
    def sends(self) -> bool:
        return self.smtp_host is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MailSettings | None:
        host = (env.get("ZHITONG_MAIL_IMAP_HOST") or "").strip()
        if not host:
            return None
        user = env.get("ZHITONG_MAIL_USER") or ""
        password = env.get("ZHITONG_MAIL_PASSWORD") or ""
        if not user or not password:
            raise MailSettingsError("the mailbox needs ZHITONG_MAIL_USER and ZHITONG_MAIL_PASSWORD")
        imap_tls = _tls(env, "ZHITONG_MAIL_IMAP_TLS")
        smtp_host = (env.get("ZHITONG_MAIL_SMTP_HOST") or "").strip() or None
        smtp_tls = _tls(env, "ZHITONG_MAIL_SMTP_TLS")
        address = (env.get("ZHITONG_MAIL_ADDRESS") or (user if "@" in user else "")).strip()
        if smtp_host and "@" not in address:
            raise MailSettingsError("sending replies needs ZHITONG_MAIL_ADDRESS (our From address)")
        interval = _number(env, "ZHITONG_MAIL_POLL_SECONDS", 60)
        if not 5 <= interval <= 1740:  # IDLE must be renewed within 29 minutes (RFC 2177)
            raise MailSettingsError("ZHITONG_MAIL_POLL_SECONDS must be between 5 and 1740")
        max_mb = _number(env, "ZHITONG_MAIL_MAX_MB", 30)
        if not 1 <= max_mb <= 200:
            raise MailSettingsError("ZHITONG_MAIL_MAX_MB must be between 1 and 200")
        return cls(
            imap_host=host, imap_port=_number(env, "ZHITONG_MAIL_IMAP_PORT", {"ssl": 993}.get(imap_tls, 143)),
            imap_tls=imap_tls, user=user, password=password, folder=env.get("ZHITONG_MAIL_FOLDER") or "INBOX",
            poll_interval_s=float(interval), smtp_host=smtp_host,
            smtp_port=_number(env, "ZHITONG_MAIL_SMTP_PORT", {"ssl": 465, "starttls": 587}.get(smtp_tls, 25)),
            smtp_tls=smtp_tls, smtp_user=env.get("ZHITONG_MAIL_SMTP_USER") or user,
            smtp_password=env.get("ZHITONG_MAIL_SMTP_PASSWORD") or password, address=address,
            display_name=env.get("ZHITONG_MAIL_DISPLAY_NAME") or "直通热线", max_mail_bytes=max_mb << 20,
            node=(env.get("ZHITONG_MAIL_NODE") or f"{socket.gethostname()}:{os.getpid()}")[:64])


def _tls(env: Mapping[str, str], name: str) -> str:
    value = (env.get(name) or "ssl").strip().lower()
    if value not in TLS_MODES:
        raise MailSettingsError(f"{name} must be one of {', '.join(TLS_MODES)}, got {value!r}")
    return value


def _number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise MailSettingsError(f"{name} must be an integer, got {raw!r}") from None
