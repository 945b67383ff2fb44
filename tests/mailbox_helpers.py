"""A service stack with the mailbox on, reading a real dovecot and replying to a local SMTP server."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from callcenter.app import Services, build_services
from callcenter.db.migrate import upgrade
from callcenter.mailbox.config import MailSettings
from callcenter.mailbox.inbox import MailInbox
from callcenter.mailbox.intake import MailIntake
from callcenter.mailbox.poller import MailPoller
from callcenter.mailbox.wiring import CLAIM_LEASE, Mailbox
from callcenter.settings import Settings
from tests.api_helpers import FakeClock
from tests.mail_servers import PASSWORD, USER, Dovecot, SmtpSink, dovecot_server, free_port, smtp_sink

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


@dataclass
class MailStack:
    services: Services
    mailbox: Mailbox
    clock: FakeClock
    dovecot: Dovecot
    smtp: SmtpSink
    settings: MailSettings

    def second_node(self, name: str = "node-b", folder: str | None = None) -> MailPoller:
        """Another app node on the same database and mailbox (or another folder of it)."""
        settings = replace(self.settings, node=name, folder=folder or self.settings.folder)
        inbox = MailInbox(self.services.engine, name, CLAIM_LEASE)
        intake = MailIntake(inbox, self.mailbox.outbox, self.services.orders, self.services.blobs, None, self.clock,
                            per_file=self.services.blobs.upload_max)
        return MailPoller(settings, inbox, intake, self.clock)

    def lease_expires(self) -> None:
        self.clock.now += CLAIM_LEASE + timedelta(seconds=1)


@contextlib.asynccontextmanager
async def open_mail_stack(db_url: str, tmp_path: Path) -> AsyncIterator[MailStack]:
    """The services with the mailbox on, a fresh dovecot and an SMTP sink (a test module's fixture)."""
    await upgrade(db_url)
    with dovecot_server() as dovecot, smtp_sink() as smtp:
        clock = FakeClock(NOW)
        mail = MailSettings(imap_host="127.0.0.1", imap_port=dovecot.port, imap_tls="off", user=USER,
                            password=PASSWORD, poll_interval_s=600, smtp_host="127.0.0.1", smtp_port=smtp.port,
                            smtp_tls="off", address="hotline@example.gov.cn", max_mail_bytes=2 << 20, node="node-a",
                            timeout_s=20)
        settings = Settings(database_url=db_url, sms="log", blob_dir=str(tmp_path / "blobs"), mail=mail)
        services = build_services(settings, clock=clock)
        assert services.mailbox is not None
        try:
            yield MailStack(services, services.mailbox, clock, dovecot, smtp, mail)
        finally:
            await services.engine.dispose()


def closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed


def mail(subject: str, body: str, *, sender: str = "王经理 <wang@factory.cn>", charset: str = "utf-8",
         headers: str = "", message_id: str | None = None, attachment: tuple[str, bytes] | None = None) -> bytes:
    """A mail as a client would send it (base64 body in ``charset``, optional attachment)."""
    words = base64.b64encode(subject.encode(charset)).decode()
    head = (f"From: {sender}\r\nTo: hotline@example.gov.cn\r\nSubject: =?{charset}?B?{words}?=\r\n"
            f"Message-ID: {message_id or '<' + str(abs(hash((subject, body)))) + '@factory.cn>'}\r\n"
            f"MIME-Version: 1.0\r\n{headers}")
    text = base64.encodebytes(body.encode(charset)).decode()
    if attachment is None:
        return (head + f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + text).encode()
    name, data = attachment
    return (head + "Content-Type: multipart/mixed; boundary=ZTB\r\n\r\n--ZTB\r\n"
            f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n{text}\r\n"
            f"--ZTB\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data).decode() + "--ZTB--\r\n").encode()
