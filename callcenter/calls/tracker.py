"""Build call records from AMI events: pure, no I/O, time only from events or the caller.

Asterisk does not send events in causal order (a ``Cdr`` before the ``Hangup`` it describes, the
``OriginateResponse`` before or after the call's own events), so nothing here assumes an order:
facts that arrive for a channel not seen yet wait in a bounded side table until it appears, and a
call that has ended keeps accepting late facts until it is evicted.

Every event is hostile input: one naming a channel id no Asterisk can have is dropped (and
logged, caller number masked), an oversized one is cut down before anything keeps it, and the
tables (calls, channels per call, parked events) all have limits, so garbage cannot grow memory
or write rows the database refuses.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from callcenter.ami.codec import Message
from callcenter.calls import facts
from callcenter.calls.record import (
    APP_RESTART,
    GONE_WHILE_DISCONNECTED,
    PBX_RESTART,
    PBX_RESTART_CAUSE,
    CallState,
    ChannelState,
)
from callcenter.calls.restore import restored_call
from callcenter.calls.screen import MAX_EVENT_CHARS, compact, problem
from callcenter.calls.times import event_time
from callcenter.sms.privacy import mask_phone

logger = logging.getLogger(__name__)

MAX_PENDING = 10_000  # channels with early events waiting for their Newchannel
MAX_PENDING_PER_CHANNEL = 64
MAX_PARKED = 20_000  # early events waiting, all channels together
MAX_CHANNELS_PER_CALL = 512  # a ring-all queue of many agents has a few hundred
MAX_INTERNAL = 4_096  # spy legs alive at once
# The dialplan's live-transcription spy leg (zt-live): a Local channel pair beside a call, not a call.
INTERNAL_CHANNEL_MARK = "@zt-live-spy-"


class CallTracker:
    """Feed AMI messages in wire order; read records with :meth:`record` / :meth:`records`."""

    def __init__(self, *, tz: tzinfo = UTC, linger: timedelta = timedelta(minutes=5),
                 max_calls: int = 50_000) -> None:
        self.tz = tz
        self.linger = linger
        self.max_calls = max_calls
        self.calls: OrderedDict[str, CallState] = OrderedDict()
        self._channel_call: dict[str, str] = {}  # Uniqueid -> Linkedid
        self._pending: OrderedDict[str, list[Message]] = OrderedDict()  # Uniqueid -> early messages
        self._expected: dict[str, dict[str, str | None]] = {}  # ActionID -> our Originate
        self._failed_originates: OrderedDict[str, Message] = OrderedDict()  # dial string -> reply
        self.clock: datetime | None = None  # latest wall time seen in the stream
        self.ignored = 0
        self.dropped = 0  # events refused as impossible (screen.problem)
        self._parked = 0  # messages in _pending
        self._internal: OrderedDict[str, None] = OrderedDict()  # Uniqueids of spy legs

    # -- input -------------------------------------------------------------------------------

    def feed(self, msg: Message, received_at: datetime | None = None) -> set[str]:
        """Apply one message; returns the Linkedids whose record changed."""
        if msg.kind != "event":
            return set()
        relevant = msg.name in facts.RELEVANT
        if not relevant and (received_at is not None or msg.name not in facts.TIME_SOURCES):
            return set()  # decided on the name alone: live noise (CEL, DeviceStateChange...) is never parsed
        big = relevant and msg.size > MAX_EVENT_CHARS  # before a header is read: the raw text's length
        stamp = event_time(msg, self.tz)
        if stamp is not None and (self.clock is None or stamp > self.clock):
            self.clock = stamp
        if not relevant:
            return set()  # replay: only kept the stream's clock moving
        if (reason := problem(msg, known=self._channel_call)) is not None:
            self._drop(msg, reason)
            return set()
        if big:
            msg = compact(msg)
        at = received_at or stamp or self.clock
        name = msg.name or ""
        if name == "OriginateResponse":
            return self._originate(msg, at)
        if name == "Newchannel":
            return self._new_channel(msg, at)
        uniqueid = msg.get("Uniqueid")
        if uniqueid in self._internal:
            if name == "Hangup":
                del self._internal[uniqueid]
            return set()
        linkedid = msg.get("Linkedid")
        if linkedid is None and uniqueid is not None:
            linkedid = self._channel_call.get(uniqueid)
        call = self.calls.get(linkedid) if linkedid else None
        if call is None or uniqueid not in call.channels:
            if uniqueid and uniqueid not in self._channel_call:
                self._park(uniqueid, msg)  # e.g. a Cdr for a channel whose Newchannel is late
                return set()
            if call is None:
                self.ignored += 1
                return set()
        channel = call.channels.get(uniqueid or "") if uniqueid else None
        if not facts.apply(call, channel, msg, at, self.tz):
            return set()
        call.last_seen = at
        return {call.linkedid}

    def expect_originate(self, action_id: str, *, channel_id: str | None = None,
                         order_number: str | None = None) -> None:
        """Remember an Originate we sent, so its call record links to it (and to its order)."""
        self._expected[action_id] = {"channel_id": channel_id, "order_number": order_number}

    def linkedid_for_audiosocket(self, uuid: str) -> str | None:
        uuid = uuid.lower()
        return next((lid for lid, c in self.calls.items() if c.audiosocket == uuid), None)

    def link_order(self, linkedid: str, order_number: str) -> bool:
        call = self.calls.get(linkedid)
        if call is None:
            return False
        call.order_number = order_number
        return True

    # -- reconnect -----------------------------------------------------------------------------

    def open_channels(self) -> set[str]:
        """Uniqueids of channels not hung up; take this BEFORE asking Asterisk for its list."""
        return {uid for call in self.calls.values() if not call.ended
                for uid, ch in call.channels.items() if not ch.hung_up}

    def adopt(self, records: Iterable[Mapping[str, Any]]) -> tuple[set[str], set[str]]:
        """Take over calls stored as open that this tracker does not know (it started after them,
        or another node stored them); the next :meth:`resync` keeps those Asterisk still has and
        closes the others. Returns the Linkedids taken, and those of them changed by events heard
        before they were taken."""
        taken: set[str] = set()
        changed: set[str] = set()
        for record in records:
            call = restored_call(record)
            if call is None or call.linkedid in self.calls or call.linkedid in self._channel_call:
                continue
            self.calls[call.linkedid] = call
            self._channel_call[call.linkedid] = call.linkedid  # its first channel: Uniqueid == Linkedid
            taken.add(call.linkedid)
            early_events = self._pending.pop(call.linkedid, [])  # heard since the login, before this
            self._parked -= len(early_events)
            for early in early_events:
                changed |= self.feed(early)
        return taken, changed

    def resync(self, live: Iterable[Message], now: datetime, *, restarted_at: datetime | None = None,
               candidates: set[str] | None = None, pbx_started: datetime | None = None,
               unseen_reason: str = APP_RESTART) -> set[str]:
        """Reconcile with the channels Asterisk reports after a login (CoreShowChannel items).

        Calls whose channels are gone are closed. Those that began before Asterisk last started
        died with it: at ``restarted_at`` (when our connection dropped) if given, else at
        ``pbx_started``. Others ended unseen, at a time only known to be before ``now``: while we
        were disconnected, or (``unseen_reason``) while this app was not watching a call it took
        over with :meth:`adopt`. Live channels we do not know open (or extend) calls. Nothing is
        created twice: Linkedid is the key. Only channels in ``candidates`` (open when the list
        was requested) can be closed: a call that started while the list was on its way is not in
        it, yet alive.
        """
        changed: set[str] = set()
        alive: set[str] = set()
        for item in live:
            uniqueid, linkedid = item.get("Uniqueid"), item.get("Linkedid") or item.get("Uniqueid")
            if not uniqueid or not linkedid:
                continue
            if (reason := problem(item, known=self._channel_call)) is not None:
                self._drop(item, reason)
                continue
            item = compact(item) if item.size > MAX_EVENT_CHARS else item
            alive.add(uniqueid)
            if uniqueid not in self._channel_call:
                changed |= self._new_channel(item, now - facts.hms(item.get("Duration")))
        for call in list(self.calls.values()):
            restored, call.restored = call.restored, False
            if call.ended:
                continue
            gone = [ch for ch in call.channels.values() if not ch.hung_up and ch.uniqueid not in alive
                    and (candidates is None or ch.uniqueid in candidates)]
            if not gone:
                continue
            end, reason = _unseen_end(call, now, restarted_at, pbx_started,
                                      unseen_reason if restored else GONE_WHILE_DISCONNECTED)
            if call.last_seen is not None and end < call.last_seen:
                end = call.last_seen
            for ch in gone:
                ch.hung_up, ch.hung_up_at = True, end
            if call.ended:
                call.closed_at, call.end_reason = end, reason
                call.forced_cause = PBX_RESTART_CAUSE if reason == PBX_RESTART else 0
            changed.add(call.linkedid)
        return changed

    # -- output ---------------------------------------------------------------------------------

    def record(self, linkedid: str) -> dict[str, object] | None:
        call = self.calls.get(linkedid)
        return call.to_json() if call else None

    def records(self) -> list[dict[str, object]]:
        return [call.to_json() for call in self.calls.values()]

    def end_guessed(self, linkedid: str) -> bool:
        call = self.calls.get(linkedid)
        return bool(call and call.end_guessed)

    def is_ended(self, linkedid: str) -> bool:
        call = self.calls.get(linkedid)
        return bool(call and call.ended)

    def evict(self, now: datetime, *, keep: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """Forget ended calls older than ``linger`` (and the oldest beyond ``max_calls``),
        except those in ``keep`` (e.g. not yet stored)."""
        gone = [lid for lid, c in self.calls.items() if c.ended and lid not in keep
                and c.last_seen is not None and now - c.last_seen > self.linger]
        overflow = len(self.calls) - len(gone) - self.max_calls
        if overflow > 0:
            gone += [lid for lid, c in self.calls.items()
                     if c.ended and lid not in gone and lid not in keep][:overflow]
        overflow = len(self.calls) - len(gone) - self.max_calls
        if overflow > 0:
            # Still too many: calls that never end (a flood of forged Newchannel events, or a PBX
            # that lost its Hangups). The oldest go; what was stored of them stays in the database.
            taken = set(gone)
            gone += [lid for lid in self.calls if lid not in taken and lid not in keep][:overflow]
            logger.warning("tracking more than %d calls; forgot the %d oldest unfinished ones", self.max_calls,
                           overflow)
        for lid in gone:
            call = self.calls.pop(lid)
            for uid in call.channels:
                self._channel_call.pop(uid, None)
        return gone

    # -- internals ------------------------------------------------------------------------------

    def _new_channel(self, msg: Message, at: datetime | None) -> set[str]:
        uniqueid = msg.get("Uniqueid") or ""
        linkedid = msg.get("Linkedid") or uniqueid
        if not uniqueid:
            self.ignored += 1
            return set()
        call = self.calls.get(linkedid)
        if call is None and INTERNAL_CHANNEL_MARK in (msg.get("Channel") or ""):
            self._internal[uniqueid] = None
            if len(self._internal) > MAX_INTERNAL:
                self._internal.popitem(last=False)
            return set()
        if call is None:
            call = self.calls[linkedid] = CallState(linkedid)
        if uniqueid not in call.channels:
            if len(call.channels) >= MAX_CHANNELS_PER_CALL:
                self.ignored += 1
                return set()
            call.channels[uniqueid] = ChannelState(name=msg.get("Channel") or "", uniqueid=uniqueid,
                                                   created_at=at, exten=msg.get("Exten") or "")
            self._channel_call[uniqueid] = linkedid
        facts.caller_id(call.channels[uniqueid], msg)
        call.last_seen = at
        changed = {linkedid}
        name = msg.get("Channel") or ""
        for dial in [d for d in self._failed_originates if name.startswith(d + "-")]:
            changed |= self._originate(self._failed_originates.pop(dial), at)
        early_events = self._pending.pop(uniqueid, [])
        self._parked -= len(early_events)
        for early in early_events:
            changed |= self.feed(early)
        return changed

    def _park(self, uniqueid: str, msg: Message) -> None:
        waiting = self._pending.setdefault(uniqueid, [])
        if len(waiting) >= MAX_PENDING_PER_CHANNEL:
            self.ignored += 1
            return
        waiting.append(msg)
        self._parked += 1
        while len(self._pending) > MAX_PENDING or self._parked > MAX_PARKED:
            _, oldest = self._pending.popitem(last=False)  # the channel waiting longest never came
            self._parked -= len(oldest)
            self.ignored += len(oldest)

    def _drop(self, msg: Message, problem: str) -> None:
        self.dropped += 1
        if self.dropped <= 10 or self.dropped % 1000 == 0:  # a flood of them must not flood the log
            caller = (msg.get("CallerIDNum") or msg.get("CallerIDnum") or "-")[:32]
            logger.warning("AMI %s event dropped: %s (caller %s); %d dropped so far",
                           (msg.name or "?")[:40], problem, mask_phone(caller), self.dropped)

    def _originate(self, msg: Message, at: datetime | None) -> set[str]:
        action_id = msg.get("ActionID")
        expected = self._expected.get(action_id) if action_id else None
        uniqueid = msg.get("Uniqueid") or ""
        linkedid = self._channel_call.get(uniqueid)
        if linkedid is None and expected and expected.get("channel_id"):
            linkedid = self._channel_call.get(expected["channel_id"] or "")
        if linkedid is None and uniqueid in ("", "<unknown>"):
            linkedid = facts.call_by_dial_string(self.calls.values(), msg.get("Channel") or "")
        if linkedid is None:
            if uniqueid and uniqueid != "<unknown>":
                self._park(uniqueid, msg)  # the reply came before the channel's own events
            elif dial := msg.get("Channel"):
                # A failure reply can precede the attempt's channels; it may also never get any
                # (unknown technology), so it only waits in a bounded table.
                self._failed_originates[dial] = msg
                while len(self._failed_originates) > MAX_PENDING:
                    self._failed_originates.popitem(last=False)
            return set()
        call = self.calls[linkedid]
        if action_id:
            self._expected.pop(action_id, None)
        call.originate = facts.originate_info(msg)
        if expected and expected.get("order_number") and not call.order_number:
            call.order_number = expected["order_number"]
        call.last_seen = at or call.last_seen
        return {linkedid}



def _unseen_end(call: CallState, now: datetime, restarted_at: datetime | None, pbx_started: datetime | None,
                otherwise: str) -> tuple[datetime, str]:
    """When and why a call Asterisk no longer has ended, as far as anyone can tell."""
    p = call.primary
    started = p.created_at if p else None
    if restarted_at is not None and (started is None or started <= restarted_at):
        return restarted_at, PBX_RESTART
    if pbx_started is not None and started is not None and started < pbx_started:
        return pbx_started, PBX_RESTART  # it began before Asterisk's current run: it died with the last
    return now, otherwise
