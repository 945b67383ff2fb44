"""Issue 12 through the real composition and the simulated Asterisk: callers without a number, a
queue without agents, and a second recording on one channel lose neither audio nor fax."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.admin import read_units
from callcenter.app import Services, build_services
from callcenter.db.migrate import upgrade
from callcenter.fax.sample import render_fax_tiff
from callcenter.orders.services import SYSTEM, SearchQuery
from callcenter.pbxsim.scenario import Scenario
from callcenter.pbxsim.scenarios import (
    FAX_RECEIVED,
    IVR_LEAVE_MESSAGE,
    IVR_NO_AGENT_MESSAGE,
    IVR_WITHHELD_MESSAGE,
)
from callcenter.pbxsim.voice import write_recording
from callcenter.settings import Settings
from callcenter.telephony import Telephony, start_telephony
from tests.test_demo_e2e import settled
from worksheet.model import Status, WorkOrder

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class Stack:
    services: Services
    tel: Telephony
    recordings: Path
    spool: Path
    voice: str  # what the simulated caller says into RECORD FILE

    def caller(self, scenario: Scenario, **changes: Any) -> Scenario:
        """The scenario with a voice, recording where the app reads recordings (ZT_RECDIR)."""
        return replace(scenario, audio_file=self.voice, variables=(("ZT_RECDIR", str(self.recordings)),), **changes)


@pytest.fixture
async def stack(db_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    await upgrade(db_url)
    recordings, spool = tmp_path / "recordings", tmp_path / "spool"
    recordings.mkdir()
    spool.mkdir()
    voice = tmp_path / "voice.wav"
    write_recording(voice, bytes(range(256)) * 125)  # 2 s of 8 kHz audio
    settings = Settings(database_url=db_url, agi_port=0, recordings_dir=str(recordings), fax_incoming_dir=str(spool),
                        blob_dir=str(tmp_path / "blobs"), sms="log", fax_ocr="off")
    services = build_services(settings, clock=lambda: NOW)
    await services.units.upsert_many(read_units("demo"))
    tel = await start_telephony(settings, services, demo=True, demo_loop=False, speech=False)
    tel.simulator.time_scale = 0.0
    try:
        assert tel.ami is not None
        await asyncio.wait_for(tel.ami.connected.wait(), 5)
        yield Stack(services, tel, recordings, spool, str(voice))
    finally:
        await tel.stop()
        await services.engine.dispose()


async def phone_drafts(services: Services) -> list[WorkOrder]:
    orders, _ = await services.orders.search(SearchQuery(channel="phone"), SYSTEM)
    return orders


def header(result: Any, session: int = 0) -> dict[str, str]:
    lines = result.agi[session].header.decode().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


@pytest.mark.parametrize(("num", "name", "agi_num", "agi_name"), [
    ("anonymous", "Anonymous", "anonymous", "Anonymous"),  # SIP withheld: From sip:anonymous@anonymous.invalid
    ("", "", "unknown", "unknown"),  # no caller ID at all: AMI "<unknown>", agi_callerid "unknown"
    ("Restricted", "Wang Jingli", "Restricted", "Wang Jingli"),  # a carrier's word, and a CNAM
])
async def test_a_message_from_a_caller_without_a_number_is_a_draft_with_its_recording(
        stack: Stack, num: str, name: str, agi_num: str, agi_name: str) -> None:
    result = await stack.tel.simulator.run(stack.caller(IVR_WITHHELD_MESSAGE, caller_num=num, caller_name=name))
    assert result.error is None, result.error
    assert (header(result)["agi_callerid"], header(result)["agi_calleridname"]) == (agi_num, agi_name)
    record = await settled(stack.services, stack.tel, result.linkedid)
    assert record["caller"] is None and record["caller_name"] == ("Wang Jingli" if name == "Wang Jingli" else None)
    [draft] = await phone_drafts(stack.services)
    assert draft.status == Status.DRAFT and draft.enterprise.phone is None
    assert draft.enterprise.name == "来电 未知号码"  # the CNAM is not the enterprise
    assert record["order_number"] == draft.number
    [blob] = await stack.services.blobs.for_order(draft)
    assert blob.kind == "recording" and blob.sha256 is not None  # read from the file Asterisk wrote
    assert (stack.recordings / blob.location).stat().st_size == blob.size > 44


async def test_a_caller_the_queue_gave_up_on_hears_why_and_leaves_a_message(stack: Stack) -> None:
    result = await stack.tel.simulator.run(stack.caller(IVR_NO_AGENT_MESSAGE))
    assert result.error is None, result.error
    assert len(result.agi) == 2 and header(result, 1)["agi_arg_1"] == "message"
    assert header(result, 1)["agi_context"] == "hotline-queue"
    menu, message = result.agi
    assert 'STREAM FILE zhitong/to-agent ""' in menu.commands
    said = [c for c in message.commands if c.startswith(("STREAM FILE", "RECORD FILE"))]
    assert said[:3] == ['STREAM FILE zhitong/agents-busy ""', 'STREAM FILE zhitong/leave-message ""',
                        'STREAM FILE zhitong/beep ""']
    assert said[3].startswith("RECORD FILE ")
    record = await settled(stack.services, stack.tel, result.linkedid)
    assert record["queue"] is None  # JOINEMPTY: the caller never joined
    [draft] = await phone_drafts(stack.services)
    assert draft.enterprise.phone == IVR_NO_AGENT_MESSAGE.caller_num and record["order_number"] == draft.number
    assert len(await stack.services.blobs.for_order(draft)) == 1


async def test_two_recording_attempts_in_one_call_keep_two_files(stack: Stack) -> None:
    """The first draft fails (the database hiccups), the caller is sent to the agents, none is there,
    and the `message` entry records again on the same channel: both recordings stay on disk."""
    orders = stack.services.orders
    create = orders.create
    failures = []

    async def create_once_failing(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append(args)
            raise ConnectionError("database went away")
        return await create(*args, **kwargs)

    orders.create = create_once_failing  # type: ignore[method-assign]
    result = await stack.tel.simulator.run(stack.caller(IVR_LEAVE_MESSAGE, queue_status="JOINEMPTY",
                                                        presses=("2", "1", "#", "#")))
    assert result.error is None, result.error
    assert failures and len(result.agi) == 2
    first, second = ([c.split()[2] for c in s.commands if c.startswith("RECORD FILE")] for s in result.agi)
    assert len(first) == len(second) == 1 and first != second
    files = sorted(p.name for p in stack.recordings.iterdir())
    assert files == sorted(f"{Path(p).name}.wav" for p in first + second)
    await settled(stack.services, stack.tel, result.linkedid)
    [draft] = await phone_drafts(stack.services)
    [blob] = await stack.services.blobs.for_order(draft)
    assert blob.location == f"{Path(second[0]).name}.wav"


@pytest.mark.parametrize("num", ["", "anonymous"])
async def test_a_fax_from_a_sender_without_a_number_is_stored(stack: Stack, num: str, tmp_path: Path) -> None:
    page = tmp_path / "page.tif"
    page.write_bytes(render_fax_tiff(("绵阳华翔物流有限公司", "反映：华翔路道路施工，货物无法运出。")))
    result = await stack.tel.simulator.run(replace(FAX_RECEIVED, caller_num=num, caller_name="", fax_file=str(page)))
    assert result.error is None, result.error
    record = await settled(stack.services, stack.tel, result.linkedid)
    assert record["caller"] is None and record["fax"]["status"] == "SUCCESS"
    faxes = stack.services.faxes
    for _ in range(500):
        await faxes.run_once()
        receipts = await faxes.receipts.list()
        if receipts and receipts[0].status != "received":
            break
        await asyncio.sleep(0.01)
    [receipt] = receipts
    assert receipt.status == "drafted" and receipt.caller is None, receipt.error
    order = await stack.services.orders.get(receipt.order_number, SYSTEM)
    assert order.status == Status.DRAFT and order.enterprise.phone is None and len(order.attachments) == 2
