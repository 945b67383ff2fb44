"""A blocking IMAP session (stdlib imaplib; the poller runs each call in a thread).

Mail is read with BODY.PEEK (a person's \\Seen flag is not touched until we processed it) and
never deleted or moved: what we did is recorded in our database, the mailbox stays the record of
what arrived. IDLE (RFC 2177) is used when the server offers it; imaplib has no IDLE, so it is
spoken here: a notification only ends the wait early, every round searches the folder anyway,
so a missed notification costs latency, never a mail.
"""

from __future__ import annotations

import imaplib
import re
import select
import socket
import ssl
from datetime import datetime

from .config import MailSettings

_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_DATE = re.compile(rb'INTERNALDATE "([^"]+)"')


class ImapError(Exception):
    """The server refused something or the connection broke; the poller reconnects."""


class ImapSession:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.uidvalidity = 0
        try:
            if settings.imap_tls == "ssl":
                self.imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(settings.imap_host, settings.imap_port,
                                                             ssl_context=ssl.create_default_context(),
                                                             timeout=settings.timeout_s)
            else:
                self.imap = imaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=settings.timeout_s)
                if settings.imap_tls == "starttls":
                    self.imap.starttls(ssl.create_default_context())
            self.imap.login(settings.user, settings.password)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise ImapError(f"cannot log in to {settings.imap_host}:{settings.imap_port}: {exc}") from None

    @property
    def mailbox(self) -> str:
        """This folder's name in our records (the same account may be read under other names)."""
        s = self.settings
        return f"{s.user}@{s.imap_host}/{s.folder}"[:200]

    @property
    def has_idle(self) -> bool:
        return "IDLE" in self.imap.capabilities

    def select(self) -> int:
        """(Re)select the folder; its UIDVALIDITY."""
        typ, data = self.imap.select(_quoted(self.settings.folder))
        if typ != "OK":
            raise ImapError(f"cannot select folder {self.settings.folder!r}: {data!r}")
        found = self.imap.response("UIDVALIDITY")[1]
        raw = found[-1] if found and found[-1] else b""
        match = re.match(rb"\d+", raw if isinstance(raw, bytes) else str(raw).encode())
        if not match:
            raise ImapError("the server sent no UIDVALIDITY")
        self.uidvalidity = int(match.group())
        return self.uidvalidity

    def uids_from(self, low: int) -> list[int]:
        typ, data = self.imap.uid("SEARCH", f"UID {max(1, low)}:*")
        if typ != "OK":
            raise ImapError(f"UID SEARCH failed: {data!r}")
        # "n:*" always includes the newest mail, even below n.
        return sorted(u for u in (int(x) for x in b" ".join(d for d in data if d).split()) if u >= low)

    def info(self, uid: int) -> tuple[int, datetime | None] | None:
        """The mail's size and when the server took it in (INTERNALDATE: the server's clock, not
        the sender's Date header); None when the mail is gone (deleted since the search)."""
        typ, data = self.imap.uid("FETCH", str(uid), "(RFC822.SIZE INTERNALDATE)")
        if typ != "OK":
            raise ImapError(f"FETCH SIZE failed: {data!r}")
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes) and (match := _SIZE.search(line)):
                return int(match.group(1)), _internal_date(line)
        return None

    def fetch(self, uid: int, limit: int | None) -> bytes | None:
        """The raw mail, or its first ``limit`` bytes; None when it is gone."""
        part = "BODY.PEEK[]" if limit is None else f"BODY.PEEK[]<0.{limit}>"
        typ, data = self.imap.uid("FETCH", str(uid), f"({part})")
        if typ != "OK":
            raise ImapError(f"FETCH failed: {data!r}")
        for item in data:
            if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def mark_seen(self, uid: int) -> None:
        self.imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")

    def noop(self) -> None:
        self.imap.noop()

    def idle(self, timeout: float) -> bool:
        """Wait until the server announces new mail or ``timeout`` passes; whether it announced."""
        imap = self.imap
        tag = imap._new_tag()  # type: ignore[attr-defined]  # imaplib has no public IDLE
        imap.send(tag + b" IDLE\r\n")
        first = imap.readline()
        if not first.startswith(b"+"):
            raise ImapError(f"IDLE refused: {first[:100]!r}")
        announced = False
        sock = imap.socket()
        while not announced:
            pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
            if not pending and not select.select([sock], [], [], timeout)[0]:
                break
            line = imap.readline()
            if not line:
                raise ImapError("the server closed the connection during IDLE")
            announced = line.startswith(b"*") and (b"EXISTS" in line or b"RECENT" in line)
            timeout = 0.5  # after a line, only drain what came with it
        imap.send(b"DONE\r\n")
        while True:
            line = imap.readline()
            if not line:
                raise ImapError("the server closed the connection ending IDLE")
            if line.startswith(tag):
                return announced

    def interrupt(self) -> None:
        """From another thread: end a blocking wait (shutdown)."""
        try:
            self.imap.socket().shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        try:
            self.imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _internal_date(line: bytes) -> datetime | None:
    match = _DATE.search(line)
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
