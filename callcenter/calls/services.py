"""Call tracking as a service: AMI events in (in order), call records out to the database.

Persistence policy: a call is written as soon as it first appears and as soon as it ends (and
again for any late fact about an ended call); changes in between are flushed every
``flush_interval``. Writes never block event handling: they run in a background task, batched,
one at a time (so an older snapshot never overwrites a newer one). A failed write puts the
records back in the dirty set and is retried, so a database hiccup loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from callcenter.ami.client import AmiClient
from callcenter.ami.codec import Message
from callcenter.ami.connection import AmiConnectionLost
from callcenter.calls.record import APP_RESTART, GONE_WHILE_DISCONNECTED
from callcenter.calls.times import parse_local
from callcenter.calls.tracker import CallTracker
from callcenter.db.calls import CallRecordRepository
from callcenter.sms.privacy import mask_phone

logger = logging.getLogger(__name__)

MAX_ADOPTED = 10_000  # open calls read back at a login, newest first: far more than a PBX carries at once


class CallService:
    def __init__(self, repo: CallRecordRepository, clock: Callable[[], datetime], *, tz: tzinfo,
                 flush_interval: float = 2.0) -> None:
        self.repo = repo
        self.clock = clock
        self.tz = tz
        self.tracker = CallTracker(tz=tz)
        self.flush_interval = flush_interval
        self._dirty: set[str] = set()
        self._written: set[str] = set()
        self._announced: set[str] = set()  # ended calls already logged
        # Run (in the background) once per call when it ends, e.g. transcribing an agent call.
        self.ended_hooks: list[Callable[[dict[str, Any]], Awaitable[None]]] = []
        # Run (in the background) once per call when its first event arrives (the agents' screen pop).
        self.started_hooks: list[Callable[[str], Awaitable[None]]] = []
        self._started: set[str] = set()
        # Run (in the background) for every OriginateResponse: (ActionID, Reason).
        self.originate_hooks: list[Callable[[str, str], Awaitable[object]]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._lost_at: datetime | None = None  # when the previous AMI connection ended
        self._pbx_started: datetime | None = None  # Asterisk's start time, as the last CoreStatus said
        self.resyncs = 0
        self._flush_lock = asyncio.Lock()
        self._flush_task: asyncio.Task[None] | None = None

    # -- AMI side ---------------------------------------------------------------------------------

    async def on_event(self, msg: Message) -> None:
        now = self.clock()
        if msg.name == "OriginateResponse" and self.originate_hooks and (action_id := msg.get("ActionID")):
            for originate_hook in self.originate_hooks:
                self._spawn(originate_hook(action_id, msg.get("Reason") or "0"))
        if changed := self.tracker.feed(msg, received_at=now):
            self._heard(changed)

    def _heard(self, changed: set[str]) -> None:
        """Calls events changed: their hooks run, and their records are written (at once if new or ended)."""
        self._dirty |= changed
        for lid in changed - self._started:
            self._started.add(lid)
            for started_hook in self.started_hooks:
                self._spawn(started_hook(lid))
        ended = [lid for lid in changed if self.tracker.is_ended(lid)]
        for lid in ended:
            if lid not in self._announced and (record := self._record(lid)) is not None:
                self._announced.add(lid)
                _log_call(record)
                for hook in self.ended_hooks:
                    self._spawn(hook(record))
        if ended or any(lid not in self._written for lid in changed):
            self._flush_soon()

    async def on_session(self, client: AmiClient) -> None:
        """After every (re)login: reconcile the open calls, ours and those the database holds as
        open (a restart of this app left them so, or another node stored them), with what
        Asterisk still has."""
        lost_at = self._lost_at
        try:
            status = await client.action("CoreStatus")
            await self._adopt_stored()
            candidates = self.tracker.open_channels()
            channels = await client.action("CoreShowChannels")
        except (AmiConnectionLost, TimeoutError) as exc:
            logger.warning("AMI resync failed (%s); it runs again on the next login", exc)
            return
        started = parse_local(f"{status.response.get('CoreStartupDate')} {status.response.get('CoreStartupTime')}",
                              self.tz)
        restarted_at = lost_at if lost_at is not None and self._restarted(started, lost_at) else None
        self._pbx_started = started or self._pbx_started
        if restarted_at is not None:
            logger.warning("Asterisk restarted since %s; closing the calls it dropped", lost_at)
        changed = self.tracker.resync(channels.events, self.clock(), restarted_at=restarted_at,
                                       candidates=candidates, pbx_started=started,
                                       unseen_reason=APP_RESTART if self.resyncs == 0 else GONE_WHILE_DISCONNECTED)
        self._dirty |= changed
        await self.flush()
        self.resyncs += 1

    async def _adopt_stored(self) -> None:
        try:
            stored = await self.repo.open_records(limit=MAX_ADOPTED)
        except Exception as exc:  # the database is down: the calls stay open until the next login
            logger.error("reading the open call records failed (%s); they are checked at the next login", _reason(exc))
            return
        taken, changed = self.tracker.adopt(stored)
        self._written |= taken
        if changed:  # events heard since the login, before the calls they are about were read back
            self._heard(changed)
        if taken:
            logger.info("took over %d call(s) stored as open; Asterisk's channel list tells which still run", len(taken))

    def on_disconnect(self) -> None:
        # The AMI reader calls this the moment it sees the connection end: calls a dying Asterisk
        # took with it end then, not at the last event heard (minutes earlier on a quiet call).
        self._lost_at = self.clock()

    def _restarted(self, started: datetime | None, lost_at: datetime) -> bool:
        if started is None:
            return False
        if self._pbx_started is not None:
            # Asterisk's start time only changes when it restarts: no clock of ours is compared
            # with its clock, so a PBX clock running behind (or ahead) changes nothing.
            return started != self._pbx_started
        # No earlier CoreStatus to compare with: a PBX that started after we lost it restarted. Its
        # start time is cut to the second, hence the second's slack.
        return started > lost_at - timedelta(seconds=1)

    # -- application side -------------------------------------------------------------------------

    def expect_originate(self, action_id: str, *, channel_id: str | None, order_number: str | None) -> None:
        self.tracker.expect_originate(action_id, channel_id=channel_id, order_number=order_number)

    async def link_order(self, linkedid: str, order_number: str) -> bool:
        """Attach a call to the order it produced (a left message, a survey callback)."""
        if self.tracker.link_order(linkedid, order_number):
            self._dirty.add(linkedid)
            await self.flush([linkedid])  # the draft exists now: its link is stored before we answer
            if not self.tracker.end_guessed(linkedid):
                return True
            # A guessed end is written only over an open row, and the row was closed (by that very
            # guess, or by the node that saw the real end): the link goes onto the stored row.
        return await self.repo.link_order(linkedid, order_number, self.clock())

    async def order_of(self, linkedid: str) -> str | None:
        """The order a call is linked to: in memory while the call is tracked, else as stored."""
        record = self.tracker.record(linkedid) or await self.repo.get(linkedid) or {}
        return str(record["order_number"]) if record.get("order_number") else None

    async def flush(self, linkedids: list[str] | None = None) -> None:
        async with self._flush_lock:
            ids = set(self._dirty) if linkedids is None else set(linkedids) & self._dirty
            self._dirty -= ids  # changes made while this write is in flight stay dirty
            records = [r for lid in ids if (r := self._record(lid)) is not None]
            if not records:
                return
            try:
                await self._store(records)
            except Exception as exc:
                # Never logger.exception here: the driver's message carries the SQL parameters,
                # callers' numbers among them.
                if len(records) == 1 or not await self._write_one_by_one(records):
                    self._dirty |= ids
                    logger.error("writing %d call record(s) failed (%s); will retry", len(records), _reason(exc))
                return
            self._written |= ids

    def _record(self, linkedid: str) -> dict[str, Any] | None:
        try:
            return self.tracker.record(linkedid)
        except Exception:  # a bug, or a fact nobody foresaw: that one call, not the whole batch
            logger.exception("call %s could not be turned into a record; not stored", linkedid[:64])
            return None

    async def _store(self, records: list[dict[str, Any]]) -> None:
        """Calls closed on a guess (Asterisk no longer had them; nobody saw them end) are stored only
        over a row still open: another node may have seen the real end, or guessed first."""
        now = self.clock()
        guessed = {lid for r in records if self.tracker.end_guessed(lid := str(r["linkedid"]))}
        await self.repo.upsert([r for r in records if str(r["linkedid"]) not in guessed], now)
        written = await self.repo.close_if_open([r for r in records if str(r["linkedid"]) in guessed], now)
        for lid in guessed - written:
            logger.info("call %s was already closed in the database; its guessed end is not stored", lid[:64])

    async def _write_one_by_one(self, records: list[dict[str, Any]]) -> bool:
        """After a failed batch: store each record alone, so one the database refuses cannot hold
        back every other call's (it used to, for ever). False when none could be written: the
        database is down, and the batch is retried as a whole."""
        refused: list[tuple[dict[str, Any], Exception]] = []
        for record in records:
            try:
                await self._store([record])
            except Exception as exc:
                refused.append((record, exc))
            else:
                self._written.add(str(record["linkedid"]))
        if len(refused) == len(records):
            return False
        for record, exc in refused:
            logger.error("call record %s (caller %s) refused by the database (%s); dropped until it changes",
                         str(record.get("linkedid"))[:64], mask_phone(str(record.get("caller") or "-")[:32]),
                         _reason(exc))
        return True

    def _spawn(self, work: Awaitable[object]) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception:
                logger.exception("call hook failed")

        task = asyncio.get_running_loop().create_task(guarded())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _flush_soon(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_after_burst())

    async def _flush_after_burst(self) -> None:
        await asyncio.sleep(0)  # events read in the same burst join this write
        await self.flush()

    async def close(self) -> None:
        """Write what is still dirty (shutdown)."""
        if self._flush_task is not None:
            await asyncio.gather(self._flush_task, return_exceptions=True)
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.flush()

    async def run_flusher(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            try:
                await self.flush()
                for lid in self.tracker.evict(self.clock(), keep=self._dirty):
                    self._written.discard(lid)
                    self._announced.discard(lid)
                    self._started.discard(lid)
            except Exception:  # the flusher must outlive any one bad round
                logger.exception("call record flush round failed; next round in %.0f s", self.flush_interval)


def _reason(exc: Exception) -> str:
    # A DBAPI error's own text is "<driver message> [SQL: ...] [parameters: ...]"; keep the first.
    orig = getattr(exc, "orig", None)
    return f"{type(exc).__name__}: {str(orig if orig is not None else exc)[:200]}"


def _log_call(record: dict[str, object]) -> None:
    logger.info("call %s from %s ended %s after %ss; dtmf %r, path %s, order %s", record.get("linkedid"),
                mask_phone(str(record.get("caller") or "?")[:32]), record.get("disposition"), record.get("duration_s"),
                record.get("dtmf"), " > ".join(map(str, record.get("ivr_path") or [])) or "-",  # type: ignore[call-overload]
                record.get("order_number") or "-")
