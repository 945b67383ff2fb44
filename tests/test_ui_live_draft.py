"""A draft that fills itself during the call, in a real browser: a real Mandarin clip (8 kHz) is
streamed over AudioSocket to the project's server (real Vosk), and the agent's form for that call
fills in as the caller speaks; what the agent typed stays, and the hang-up settles the rest."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid as _uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.ami.codec import Message
from callcenter.asr.engine import AsrEngine
from callcenter.audiosocket.codec import FRAME_BYTES, Kind, encode_frame
from callcenter.db.engine import create_engine
from callcenter.enterprises.repository import EnterpriseRepository
from callcenter.keys import AUDIT, AUTH, CALLS, LIVE, LIVE_DRAFTS
from callcenter.pbxsim.voice import caller_audio
from callcenter.speech.live import AudioSocketServer
from tests.api_helpers import PASSWORD
from tests.browser import Site, screenshot, start_site
from worksheet.extract import DirectoryEntry

CLIP = "common_voice_zh-CN_18772802.wav"  # "亚马逊商场开幕初期……灯箱广告大肆宣传"; 16 kHz, sent at 8 kHz
CALLER = "13908130000"


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    # The enterprise directory knows the mall the caller names (before any page loads it).
    engine = create_engine(db_url)
    async for site in start_site(db_url):
        try:
            await EnterpriseRepository(engine).upsert_many([DirectoryEntry("绵阳亚马逊商场有限公司")])
        finally:
            await engine.dispose()
        yield site


@pytest.fixture
async def audiosocket(site: Site, shared_dir: Path) -> AsyncIterator[int]:
    """The project's AudioSocket server with the real model, publishing to the site's live hub."""
    asr = AsrEngine.load(shared_dir / "asr_models" / "vosk-model-small-cn-0.22", mode="thread", workers=1)

    async def on_final(uuid: str, transcript: Any) -> None:
        return None

    server = AudioSocketServer(asr, site.app[LIVE], on_final)
    try:
        yield (await server.start("127.0.0.1", 0)).sockets[0].getsockname()[1]
    finally:
        await server.close()
        await asr.close()


def a_call_is_ringing(site: Site, linkedid: str, stream: _uuid.UUID) -> None:
    """What AMI says of a caller whose audio the dialplan forks to our AudioSocket server."""
    ch = {"Channel": "PJSIP/trunk-00000001", "Uniqueid": linkedid, "Linkedid": linkedid}
    tracker = site.app[CALLS].tracker
    tracker.feed(Message.of({"Event": "Newchannel", "CallerIDNum": CALLER, "CallerIDName": "", "Exten": "12345",
                             **ch}))
    tracker.feed(Message.of({"Event": "UserEvent", "UserEvent": "ZhitongAudioSocket", "UUID": str(stream), **ch}))


async def speak(port: int, stream: _uuid.UUID, pcm: bytes) -> asyncio.StreamWriter:
    """Asterisk's side: the UUID, then the caller's audio in 20 ms frames at real speed. The
    connection stays open (the call goes on) until the caller hangs up (the writer is closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode_frame(Kind.UUID, stream.bytes))
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i, pos in enumerate(range(0, len(pcm) - len(pcm) % FRAME_BYTES, FRAME_BYTES)):
        writer.write(encode_frame(Kind.AUDIO, pcm[pos:pos + FRAME_BYTES]))
        await writer.drain()
        await asyncio.sleep(max(0.0, start + (i + 1) * 0.02 - loop.time()))
    return writer


async def hang_up(writer: asyncio.StreamWriter) -> None:
    writer.close()  # Asterisk ends AudioSocket with a plain TCP close
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()


async def test_the_agents_form_fills_in_as_the_caller_speaks(site: Site, audiosocket: int, shared_dir: Path) -> None:
    linkedid, stream = "1795435508.36", _uuid.uuid4()
    a_call_is_ringing(site, linkedid, stream)
    await site.app[AUTH].add_user("agent2", PASSWORD, "agent", None)
    page = await site.login("agent")
    problems: list[str] = []  # script errors and CSP refusals (no eval, no inline script)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.click("#live a[href^='/orders/new?call=']")  # the live call's 登记工单 link
    await page.wait_for_selector("#live-draft[data-call='1795435508.36']")
    await page.wait_for_selector("body[data-live='on']", state="attached")
    await page.fill("input[name=subject]", "商场灯箱广告扰民")  # the agent's own words: never overwritten

    other = await site.login("agent2")  # another agent cannot take the call's form
    refused = await other.goto(site.url(f"/orders/new?call={linkedid}"))
    assert refused is not None and refused.status == 409
    assert "已由其他坐席受理" in await other.inner_text("main")
    gone = await other.goto(site.url("/orders/new?call=no-such-call"))
    assert gone is not None and gone.status == 404

    pcm = caller_audio(str(shared_dir / "asr_testset" / CLIP))  # 8 kHz, as Asterisk sends it
    writer = await speak(audiosocket, stream, pcm)
    try:  # still on the line: the form has filled in from the partial and final results so far
        await page.wait_for_selector("input[name=enterprise_name][data-filled='live']")
        assert await page.locator("#live-draft[data-final]").count() == 0
        assert await page.input_value("input[name=enterprise_name]") == "绵阳亚马逊商场有限公司"
        await page.wait_for_selector("#live-draft-text mark[data-field='enterprise_name']")
        assert "亚马逊" in await page.inner_text("#live-draft-text mark[data-field='enterprise_name']")
    finally:
        await hang_up(writer)
    await page.wait_for_selector("#live-draft[data-final='1']")  # the whole transcript settled the rest
    assert await page.input_value("input[name=subject]") == "商场灯箱广告扰民"
    assert "亚马逊" in await page.input_value("textarea[name=content]")
    assert await page.input_value("input[name=enterprise_phone]") == CALLER  # the caller ID; agents see it in full
    note = await page.inner_text("label:has(input[name=enterprise_name]) span.conf")
    assert re.fullmatch(r"自动填写 · 置信度 \d{1,3}%( · (可信|请核实))?", note), note
    assert await page.locator("label:has(input[name=subject]) span.conf").count() == 0  # typed, not filled
    assert "通话已结束" in await page.inner_text("#live-draft-status")
    assert [e["action"] for e in await site.app[AUDIT].list(subject=linkedid)] == ["view-phone"]
    await screenshot(page, "live-draft-filled")
    assert problems == []

    await page.click("form.draft-form button[type=submit]")
    await page.wait_for_url("**/orders/*?done=create")
    number = page.url.split("/orders/")[1].split("?")[0]
    assert site.app[CALLS].tracker.record(linkedid)["order_number"] == number  # the call names its order
    assert linkedid not in site.app[LIVE_DRAFTS].claims
