"""The IMAP poller: each round searches the folder from the first unsettled UID, claims each new
mail (mail_inbox), processes it (intake.py) and settles it; between rounds it waits in IDLE when
the server offers it, else sleeps the poll interval.

UIDVALIDITY: when the server renumbers the folder (it was recreated or restored), every UID
under the new value is unseen to us, so every mail in it is looked at again; one whose Message-ID
was settled under an earlier UIDVALIDITY is recorded as a duplicate and not drafted again. A mail
without a Message-ID cannot be recognised and is drafted again: twice is better than never.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from .config import MailSettings
from .imap import ImapError, ImapSession
from .inbox import Claim, MailInbox
from .intake import MailIntake

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
RECONNECT_DELAYS = (5.0, 15.0, 60.0, 300.0)


class MailPoller:
    def __init__(self, settings: MailSettings, inbox: MailInbox, intake: MailIntake,
                 clock: Callable[[], datetime]) -> None:
        self.settings, self.inbox, self.intake, self.clock = settings, inbox, intake, clock
        self.rounds = 0  # for tests and logs
        self.counts: dict[str, int] = {}  # outcomes since start (drafts, supplements, bounces, …)

    async def connect(self) -> ImapSession:
        return await asyncio.to_thread(ImapSession, self.settings)

    async def poll_once(self, session: ImapSession) -> int:
        """One round over the folder; how many mails this node settled."""
        validity = await asyncio.to_thread(session.select)
        mailbox = session.mailbox
        low = await self.inbox.search_from(mailbox, validity)
        uids = await asyncio.to_thread(session.uids_from, low)
        settled = await self.inbox.settled(mailbox, validity, uids) if uids else set()
        done = 0
        for uid in uids:
            if uid in settled:
                continue
            info = await asyncio.to_thread(session.info, uid)
            if info is None:  # deleted by a person since the search: nothing to record
                continue
            claim = await self.inbox.claim(mailbox, validity, uid, self.clock(), received_at=info[1])
            if claim is not None:
                done += await self._process(session, claim, info[0])
        self.rounds += 1
        return done

    async def _process(self, session: ImapSession, claim: Claim, size: int) -> int:
        limit = self.settings.max_mail_bytes
        try:
            raw = await asyncio.to_thread(session.fetch, claim.uid, limit if size > limit else None)
        except (ImapError, OSError, asyncio.CancelledError) as exc:  # the connection: give the mail back at once
            await self.inbox.failed(claim, f"IMAP: {type(exc).__name__}", self.clock(), self.clock())
            raise
        except Exception as exc:  # imaplib's own errors
            await self.inbox.failed(claim, f"IMAP: {type(exc).__name__}", self.clock(), self.clock())
            raise ImapError(str(exc)[:200]) from None
        if raw is None:
            await self.inbox.settle(claim, "ignored", "vanished", now=self.clock())
            return 1
        try:
            result = await self.intake.process(claim, raw, full_size=size if size > limit else None)
        except asyncio.CancelledError:
            raise  # the lease runs out and the mail is taken over (idempotently) later
        except Exception as exc:
            await self._failed(claim, exc)
            return 0
        await self.inbox.settle(claim, result.status, result.outcome, order_number=result.order_number,
                                message_id=result.message_id, now=self.clock())
        self.counts[result.outcome] = self.counts.get(result.outcome, 0) + 1
        try:
            await asyncio.to_thread(session.mark_seen, claim.uid)
        except Exception:  # a read-only folder: the mail is settled all the same
            log.debug("could not flag mail %s as seen", claim.key)
        return 1

    async def _failed(self, claim: Claim, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {getattr(exc, 'error_id', '')}".rstrip(": ")
        now = self.clock()
        retry_at = None if claim.attempts >= MAX_ATTEMPTS else now + RETRY_DELAYS[min(claim.attempts, len(RETRY_DELAYS)) - 1]
        if retry_at is None:
            log.error("mail %s/%s: attempt %d failed (%s); left for a supervisor", claim.mailbox, claim.key,
                      claim.attempts, error)
        else:
            log.warning("mail %s/%s: attempt %d failed (%s); next at %s", claim.mailbox, claim.key, claim.attempts,
                        error, retry_at.isoformat(timespec="seconds"), exc_info=claim.attempts == 1)
        await self.inbox.failed(claim, error, retry_at, now)

    async def run(self) -> None:
        """Forever: connect, poll, wait (IDLE or sleep); reconnect with growing delays after errors."""
        failures = 0
        while True:
            session: ImapSession | None = None
            try:
                session = await self.connect()
                log.info("mailbox %s connected (%s)", session.mailbox, "IDLE" if session.has_idle else "polling")
                failures = 0
                while True:
                    await self.poll_once(session)
                    await self._wait(session)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
                failures += 1
                log.warning("mailbox: %s; reconnecting in %.0f s", str(exc)[:200], delay)
                await asyncio.sleep(delay)
            finally:
                if session is not None:
                    session.interrupt()
                    await asyncio.to_thread(session.close)

    async def _wait(self, session: ImapSession) -> None:
        if not session.has_idle:
            await asyncio.sleep(self.settings.poll_interval_s)
            await asyncio.to_thread(session.noop)
            return
        waiting = asyncio.ensure_future(asyncio.to_thread(session.idle, self.settings.poll_interval_s))
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            session.interrupt()  # ends the thread's wait; the task is cancelled all the same
            raise
