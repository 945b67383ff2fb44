"""Run a pure :mod:`ivr.flow` menu over an AgiSession.

Action -> AGI mapping:

* Step(node) -> ``EXEC UserEvent "ZhitongIvr,Step: <node>"`` (AMI call records show the IVR path);
* Play -> ``STREAM FILE zhitong/<id>``, interruptible by any digit when a one-digit Collect follows
  (the digit pressed becomes the answer); Say -> one STREAM FILE per word prompt (not interruptible);
* Collect -> ``GET DATA zhitong/<id> <timeout_ms> <max_digits>`` ("#" always ends GET DATA);
* Record -> ``STREAM FILE zhitong/beep`` (our tone), then
  ``RECORD FILE <ZT_RECDIR>/msg-<uniqueid>-<token> wav # <ms> s=<silence>``: a new
  random token per attempt, because one channel can record more than once (the menu's message, then
  the ``message`` entry after the queue gave up) and RECORD FILE overwrites an existing file;
* Transfer / Hangup -> ``SET VARIABLE ZT_NEXT agent|hangup`` and return: the dialplan acts on it;
* LookupOrder / CreateDraft / SaveSurvey -> the route's ``effect`` callback (the back office).

A caller hang-up (CallerHungUp, or result -1 from a media command) ends the flow at once; the
pending bookkeeping still runs (a message being recorded becomes a draft, a survey saves "no
answer") and CallerHungUp is re-raised for the server's counters. Any other failure while a
message is being recorded (a garbled, absurd or late reply to RECORD FILE) still turns what
Asterisk recorded into a draft before the error goes on to the server's fallback. An effect that
raises becomes a DeskFailed event, which the menu sends to its on_error node.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence

from ivr import flow
from ivr.agi.session import AgiSession, CallerHungUp
from ivr.flow.events import EFFECTS

logger = logging.getLogger(__name__)

SOUND_DIR = "zhitong"
BEEP_PROMPT = "beep"  # written by `zhitong prompts build` (a tone, not speech)
DEFAULT_RECDIR = "/var/spool/asterisk/zhitong"
ESCAPE_DIGITS = "0123456789*#"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
# Effect callback: performs LookupOrder/CreateDraft/SaveSurvey, returns the event to feed back (or None).
Effect = Callable[[flow.Action], Awaitable[flow.Event | None]]


def message_name(uniqueid: str, token: str | None = None) -> str:
    """The file name (no extension) of one voice-message recording: never the same twice, even on
    one channel, and within the recordings area's name grammar (callcenter.blobs.files), which a
    uniqueid's ``:``, ``@`` or ``+`` would break."""
    return f"msg-{_UNSAFE.sub('_', uniqueid)}-{token or secrets.token_hex(4)}"


class _Interrupted(Exception):
    def __init__(self, event: flow.Event) -> None:
        self.event = event


async def run_menu(session: AgiSession, menu: flow.Menu, effect: Effect, entry: str | None = None) -> flow.State:
    """Drive ``menu`` (from ``entry`` if given) to its end; returns the final state or raises CallerHungUp."""
    return await _Run(session, menu, effect).run(entry)


class _Run:
    def __init__(self, session: AgiSession, menu: flow.Menu, effect: Effect) -> None:
        self.session, self.menu, self.effect = session, menu, effect
        self.recording: str | None = None  # set once RECORD FILE has been sent

    async def run(self, entry: str | None) -> flow.State:
        state, actions = flow.start(self.menu, entry)
        while True:
            self.recording = None
            try:
                event = await self._perform(actions)
            except CallerHungUp:
                await self._after_hangup(state)
                raise
            except Exception:
                await self._keep_recording(state)
                raise
            if event is None:
                return state
            state, actions = flow.step(self.menu, state, event)

    async def _after_hangup(self, state: flow.State) -> None:
        state = await self._keep_recording(state)
        state, pending = flow.step(self.menu, state, flow.HungUp())
        await self._effects_only(pending)

    async def _keep_recording(self, state: flow.State) -> flow.State:
        if state.waiting == "recording" and self.recording is not None:
            # RECORD FILE was running: keep whatever Asterisk wrote (duration unknown).
            state, pending = flow.step(self.menu, state, flow.Recorded(self.recording, None))
            self.recording = None
            await self._effects_only(pending)
        return state

    async def _effects_only(self, actions: Sequence[flow.Action]) -> None:
        for action in actions:
            if isinstance(action, EFFECTS):
                try:
                    await self.effect(action)
                except Exception:
                    logger.exception("IVR bookkeeping after hang-up failed (%s): %r", self.session.uniqueid, action)

    async def _perform(self, actions: Sequence[flow.Action]) -> flow.Event | None:
        """Run ``actions`` in order; returns the event that ends the batch, None when the flow is over."""
        for i, action in enumerate(actions):
            # Step actions are bookkeeping: a Play is interruptible when the next audible action collects.
            nxt = next((a for a in actions[i + 1 :] if not isinstance(a, flow.Step)), None)
            try:
                event = await self._one(action, nxt)
            except _Interrupted as stop:
                for later in actions[i + 1 :]:  # log the nodes entered up to the skipped Collect
                    if not isinstance(later, flow.Step):
                        break
                    await self._one(later, None)
                return stop.event
            if event is not None:
                return event
        final = actions[-1] if actions else None
        if isinstance(final, flow.Transfer | flow.Hangup):
            await self.session.set_variable("ZT_NEXT", final.queue if isinstance(final, flow.Transfer) else "hangup")
            return None
        raise RuntimeError(f"flow batch ended without an event or a final action: {actions!r}")

    async def _one(self, action: flow.Action, nxt: flow.Action | None) -> flow.Event | None:
        session = self.session
        if isinstance(action, flow.Step):
            await session.exec("UserEvent", "ZhitongIvr", f"Step: {action.node_id}")
        elif isinstance(action, flow.Play):
            barge_in = isinstance(nxt, flow.Collect) and nxt.max_digits == 1
            await self._stream(action.prompt_id, ESCAPE_DIGITS if barge_in else "")
        elif isinstance(action, flow.Say):
            for prompt_id in action.prompt_ids:
                await self._stream(prompt_id, "")
        elif isinstance(action, flow.Collect):
            digits = await session.get_data(f"{SOUND_DIR}/{action.prompt_id}", action.timeout_ms, action.max_digits)
            if digits is None:
                raise CallerHungUp(f"GET DATA {action.prompt_id} failed (hang-up)")
            digits = digits.rstrip(action.terminator)
            return flow.Digits(digits) if digits else flow.Timeout()
        elif isinstance(action, flow.Record):
            return await self._record(action)
        elif isinstance(action, EFFECTS):
            try:
                return await self.effect(action)
            except CallerHungUp:
                raise
            except Exception as exc:
                logger.exception("IVR back-office call failed (%s): %r", session.uniqueid, action)
                return flow.DeskFailed(f"{type(exc).__name__}: {exc}")
        return None

    async def _stream(self, prompt_id: str, escape: str) -> None:
        reply = await self.session.stream_file(f"{SOUND_DIR}/{prompt_id}", escape)
        if reply.result is not None and reply.result < 0:
            raise CallerHungUp(f"STREAM FILE {prompt_id}: result {reply.result} (hang-up)")
        if reply.result and escape:
            raise _Interrupted(flow.Digits(chr(reply.result)))

    async def _record(self, action: flow.Record) -> flow.Event:
        recdir = await self.session.get_variable("ZT_RECDIR") or DEFAULT_RECDIR
        base = f"{recdir.rstrip('/')}/{message_name(self.session.uniqueid)}"
        self.recording = f"{base}.wav"
        # Our own beep, not RECORD FILE's BEEP: that plays the stock sound "beep", and where it is
        # missing (no core sounds installed) Asterisk answers "-1 (randomerror)" and records nothing.
        await self._stream(BEEP_PROMPT, "")
        reply = await self.session.command(
            "RECORD FILE", base, "wav", action.terminator, action.max_s * 1000, f"s={action.silence_s}",
            timeout=action.max_s + 30,
        )
        endpos = reply.extra.get("endpos", "")
        duration = int(endpos) / 8000 if endpos.isdigit() else None  # endpos counts samples at 8 kHz
        return flow.Recorded(self.recording, duration)
