"""Drafts that fill themselves during the call: extraction over the live transcript, sent to the
one agent whose form is open for that call.

It listens to the live hub (the AudioSocket streams' partial and final results, keyed by stream
UUID), keeps each stream's transcript so far, and, for a call an agent has opened the form for
(``claim``), runs the draft extractor as the text grows (``Debounce``) and publishes a ``draft``
event addressed to that agent alone. After hang-up the whole transcript (``transcript`` event)
gives the last, settling run. Streams nobody claimed cost no extraction at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from callcenter.asr.results import Word
from callcenter.asr.text import join_words
from callcenter.speech.hub import LiveHub
from callcenter.speech.live_draft import Debounce, form_fields
from callcenter.speech.services import Extractor

logger = logging.getLogger(__name__)

MAX_STREAMS = 200  # transcripts kept at once (the AudioSocket server runs at most 100 streams)
AFTER_CALL_S = 1800.0  # a hung-up call's form stays the agent's this long (after-call work), then is let go

# A stream's UUID -> its call's linkedid, once the PBX has announced it; a linkedid -> the caller's number.
LinkedidOf = Callable[[str], str | None]
CallerOf = Callable[[str], str | None]


@dataclass(frozen=True)
class Claim:
    agent: str  # the username whose event stream gets the call's drafts
    reveal_phone: bool


@dataclass
class _Stream:
    debounce: Debounce
    linkedid: str | None = None  # known once the PBX has announced the stream
    finals: list[str] = field(default_factory=list)
    partial: str = ""
    words: Sequence[Any] = ()
    ended: bool = False
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None

    @property
    def text(self) -> str:
        return join_words(t for t in (*self.finals, self.partial) if t)


class LiveDrafts:
    def __init__(self, hub: LiveHub, extract: Extractor, linkedid_of: LinkedidOf, caller_of: CallerOf, *,
                 interval: float = 1.0, after_call_s: float = AFTER_CALL_S) -> None:
        self.hub, self.extract, self.interval, self.after_call_s = hub, extract, interval, after_call_s
        self.linkedid_of, self.caller_of = linkedid_of, caller_of
        self.claims: dict[str, Claim] = {}  # by linkedid
        self.runs = 0
        self._streams: dict[str, _Stream] = {}  # by AudioSocket UUID

    def claim(self, linkedid: str, agent: str, *, reveal_phone: bool) -> bool:
        """The agent opened the form for this call: False when another agent holds it."""
        held = self.claims.get(linkedid)
        if held is not None and held.agent != agent:
            return False
        self.claims[linkedid] = Claim(agent, reveal_phone)
        for uuid, stream in self._streams.items():  # what was said before the form opened
            if stream.text and self._linkedid(uuid, stream) == linkedid:
                self._changed(uuid, stream, final=True)
        return True

    def release(self, linkedid: str, agent: str) -> None:
        if (held := self.claims.get(linkedid)) is not None and held.agent == agent:
            del self.claims[linkedid]

    def on_call_ended(self, record: dict[str, Any]) -> None:
        """A call hung up: its hold ends after the after-call window (the settling run and the
        agent's registering come first), so calls never streamed do not pile up."""
        linkedid = str(record.get("linkedid") or "")
        if (held := self.claims.get(linkedid)) is not None:
            asyncio.get_running_loop().call_later(self.after_call_s, self.release, linkedid, held.agent)

    def observe(self, event: dict[str, Any]) -> None:
        """A hub event (called in ``LiveHub.publish``): stream results update that stream's text."""
        kind, uuid = event.get("kind"), event.get("call")
        if kind not in ("partial", "final", "transcript") or not isinstance(uuid, str):
            return
        stream = self._streams.get(uuid)
        if stream is None:
            if len(self._streams) >= MAX_STREAMS:
                self._forget(next(iter(self._streams)))
            stream = self._streams[uuid] = _Stream(Debounce(self.interval))
        text = str(event.get("text") or "")
        if kind == "partial":
            stream.partial = text
        elif kind == "final":
            stream.partial = ""
            if text:
                stream.finals.append(text)
        else:  # after hang-up: the whole transcript replaces the segments heard live
            stream.finals, stream.partial, stream.ended = [text] if text else [], "", True
            stream.words = _words(event.get("words"))
        self._changed(uuid, stream, final=kind != "partial")

    async def close(self) -> None:
        for uuid in list(self._streams):
            self._forget(uuid)

    def _linkedid(self, uuid: str, stream: _Stream) -> str | None:
        if stream.linkedid is None:
            stream.linkedid = self.linkedid_of(uuid)
        return stream.linkedid

    def _changed(self, uuid: str, stream: _Stream, *, final: bool) -> None:
        linkedid = self._linkedid(uuid, stream)
        if linkedid not in self.claims:
            if stream.ended:
                self._forget(uuid)
            return
        delay = stream.debounce.changed(asyncio.get_running_loop().time(), final=final)
        if delay is not None:
            self._schedule(uuid, stream, delay)

    def _schedule(self, uuid: str, stream: _Stream, delay: float) -> None:
        if stream.timer is not None:
            stream.timer.cancel()
        loop = asyncio.get_running_loop()
        stream.timer = loop.call_later(delay, self._start, uuid, stream)

    def _start(self, uuid: str, stream: _Stream) -> None:
        stream.timer = None
        stream.debounce.started(asyncio.get_running_loop().time())
        stream.task = asyncio.create_task(self._run(uuid, stream), name=f"live-draft-{uuid}")

    async def _run(self, uuid: str, stream: _Stream) -> None:
        text, ended = stream.text, stream.ended
        try:
            linkedid = self._linkedid(uuid, stream)
            claim = self.claims.get(linkedid or "")
            if linkedid is not None and claim is not None and text.strip():
                fields = await self.extract(text, self.caller_of(linkedid), stream.words if ended else ())
                self.runs += 1
                self.hub.publish({"kind": "draft", "call": linkedid, "agent": claim.agent, "final": ended,
                                  "text": text, "fields": form_fields(fields, text, reveal_phone=claim.reveal_phone)})
        except Exception:  # a bad transcript must not end the call's live drafts
            logger.exception("live draft of stream %s failed", uuid)
        finally:
            stream.task = None
            delay = stream.debounce.finished(asyncio.get_running_loop().time())
            if delay is not None and self._streams.get(uuid) is stream:
                self._schedule(uuid, stream, delay)
            elif ended and stream.ended and delay is None:
                self._forget(uuid)

    def _forget(self, uuid: str) -> None:
        stream = self._streams.pop(uuid, None)
        if stream is not None and stream.timer is not None:
            stream.timer.cancel()


def _words(items: Any) -> tuple[Word, ...]:
    """The final transcript's words ([word, start, end, conf] in JSON) for the extractor's timings."""
    try:
        return Word.many(tuple(w) for w in items or ())
    except (TypeError, ValueError):
        return ()  # words that do not line up are dropped, not the draft
