"""Plays the demo's story (callcenter.demo.story) against the simulated PBX and the app's services,
then trickles: TRICKLE_LIMIT rounds a few minutes apart, each one more voice message unless the
draft queue already holds DRAFT_CAP drafts; then it idles. So a demo left running for hours shows
a queue an agent can still work through rather than a wall of near-identical drafts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from callcenter.demo.story import STORY, Beat, Cast, fax_line, fill
from callcenter.demo.voices import VoiceClip
from callcenter.orders.services import SYSTEM, OrderService, SearchQuery
from callcenter.pbxsim.scenario import Scenario
from callcenter.pbxsim.scenarios import (
    FAX_RECEIVED,
    IVR_LEAVE_MESSAGE,
    IVR_ORDER_QUERY,
    ORIGINATE_ANSWERED,
    QUEUE_CALL,
)
from callcenter.sms.phone import mobile_e164
from callcenter.sms.webhooks import InboundSms
from worksheet import commands as c
from worksheet.extract.directory import DirectoryEntry
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role, Status

logger = logging.getLogger(__name__)

STEP_INTERVAL_S = 8.0  # between the story's beats, so a visitor can follow each one
TRICKLE_INTERVAL_S = 300.0
TRICKLE_LIMIT = 6
DRAFT_CAP = 12
TRICKLE_MENUS = ("1", "2", "3")
AGENT, SUPERVISOR = Actor("demo-agent", Role.AGENT), Actor("demo-supervisor", Role.SUPERVISOR)
OVERDUE_BY = timedelta(days=21)  # the card's order was dispatched three weeks ago and never answered


@dataclass
class DemoPlayer:
    services: Any  # callcenter.app.Services
    simulator: Any  # callcenter.pbxsim.PbxSimulator
    cast: Cast
    clips: tuple[VoiceClip, ...]
    recordings: Path  # the simulated Asterisk writes its recordings where the app reads them
    fax_pages: dict[int, str | None] = field(default_factory=dict)  # beat index -> rendered TIFF
    registered: list[tuple[str, DirectoryEntry]] = field(default_factory=list)  # orders the story made, by whom
    _clip_at: int = 0

    async def play_story(self, interval_s: float = STEP_INTERVAL_S) -> None:
        for index, beat in enumerate(STORY):
            await self._play(index, beat)
            await asyncio.sleep(interval_s)

    async def trickle(self, interval_s: float = TRICKLE_INTERVAL_S, limit: int = TRICKLE_LIMIT) -> None:
        """``limit`` rounds, one voice message each unless the draft queue is full; then idle."""
        played = 0
        for _ in range(limit):
            await asyncio.sleep(interval_s)
            if await self.open_drafts() >= DRAFT_CAP:
                continue
            menu = TRICKLE_MENUS[played % len(TRICKLE_MENUS)]
            await self._play(len(STORY) + played, Beat("voice", menu=menu))
            played += 1
        logger.info("demo: the story and %d later messages are done; the demo now idles", played)

    async def open_drafts(self) -> int:
        return (await self.services.orders.search(SearchQuery(status=[Status.DRAFT.value], limit=1), SYSTEM))[1]

    async def _play(self, index: int, beat: Beat) -> None:
        who = self.cast.of(index)
        try:
            if beat.makes_draft and await self.open_drafts() >= DRAFT_CAP:
                logger.info("demo: %d drafts wait for an agent; %s skipped", DRAFT_CAP, beat.kind)
                return
            await getattr(self, f"_{beat.kind}")(index, beat, who)
        except Exception:
            logger.exception("demo: the %s of the story failed; it goes on with the next", beat.kind)

    def _next_clip(self) -> VoiceClip | None:
        if not self.clips:
            return None
        clip = self.clips[self._clip_at % len(self.clips)]
        self._clip_at += 1
        return clip

    def _recorded(self, scenario: Scenario, who: DirectoryEntry, clip: VoiceClip) -> Scenario:
        return replace(scenario, caller_num=who.mobile or "", caller_name="", audio_file=str(clip.path),
                       variables=(("ZT_RECDIR", str(self.recordings.resolve())),))

    async def _voice(self, index: int, beat: Beat, who: DirectoryEntry) -> None:
        if (clip := self._next_clip()) is None:
            return  # no real speech: the banner says so (never a synthetic voice)
        scenario = replace(self._recorded(IVR_LEAVE_MESSAGE, who, clip), presses=(beat.menu, "1", "#"))
        await self.simulator.run(scenario)

    async def _agent_call(self, index: int, beat: Beat, who: DirectoryEntry) -> None:
        if (clip := self._next_clip()) is None:
            return
        await self.simulator.run(replace(self._recorded(QUEUE_CALL, who, clip), talk_s=12.0))

    async def _sms(self, index: int, beat: Beat, who: DirectoryEntry) -> None:
        sender = mobile_e164(who.mobile)
        assert sender is not None
        # One id per beat: a demo restarted on the same database does not get the same SMS twice.
        await self.services.sms_inbound.receive(InboundSms(
            message_sid=f"DEMO-SMS-{index}", sender=sender, recipient="12345", body="".join(fill(beat.lines, who))))

    async def _fax(self, index: int, beat: Beat, who: DirectoryEntry) -> None:
        await self.simulator.run(replace(FAX_RECEIVED, caller_num=fax_line(who), caller_name="",
                                         fax_file=self.fax_pages.get(index)))

    async def _registered(self, orders: OrderService, beat: Beat, who: DirectoryEntry) -> str:
        """An order an agent registered from a call and dispatched to the beat's unit."""
        enterprise = Enterprise(name=who.name, contact_person=who.contact_person, phone=who.mobile)
        spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=enterprise, subject=beat.subject,
                        content=f"{who.name}{who.contact_person}来电反映：{beat.subject}，请相关部门协调处理。",
                        received_at=orders.clock())
        number = (await orders.create(spec, AGENT)).number
        await orders.act(number, c.Dispatch(actor=AGENT, lead_unit=beat.unit))
        self.registered.append((number, who))
        return number

    async def _survey(self, index: int, beat: Beat, who: DirectoryEntry) -> None:
        orders = self.services.orders
        number = await self._registered(orders, beat, who)
        unit = Actor("demo-unit", Role.UNIT_HANDLER, beat.unit)
        await orders.act(number, c.Accept(actor=unit))
        await orders.act(number, c.Reply(actor=unit, content="已安排疏通排水管道，积水已排除。"))
        await orders.act(number, c.Check(actor=SUPERVISOR, passed=True))  # schedules the callback
        callbacks = self.services.callbacks
        self.simulator.expect_originate(replace(ORIGINATE_ANSWERED, presses=("1",)))  # 满意
        if callbacks.windows.is_open(callbacks.clock()):
            await callbacks.run_due()
        else:  # outside the calling windows a deployment waits; the demo shows the survey now
            await callbacks.dialer.originate(order_number=number, phone=who.mobile, channel_id=f"cb-{uuid.uuid4().hex}")

    async def _card(self, index: int, beat: Beat, who: DirectoryEntry) -> None:
        now = self.services.orders.clock()
        orders = self.services.orders
        past = OrderService(orders.orders, orders.units, orders.policy, lambda: now - OVERDUE_BY)
        await self._registered(past, beat, who)
        await self.services.supervision.run()  # the sweep would find it within ten minutes

    async def _status_query(self, index: int, beat: Beat, who: DirectoryEntry) -> None:
        if not self.registered:
            return
        number, who = self.registered[-1]  # the enterprise whose order got the card asks about it
        presses = ("4", number.replace("-", "") + "#", "1")
        await self.simulator.run(replace(IVR_ORDER_QUERY, caller_num=who.mobile or "", caller_name="",
                                         presses=presses))
