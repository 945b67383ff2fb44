"""The demo's story through the real composition, the real speech model and the real voices: what a
visitor finds once it has played (varied, bounded drafts; a voice message transcribed from a real
human clip), and the trickle after it that stops at the draft cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.admin import read_units
from callcenter.app import Services, build_services
from callcenter.asr.text import cer
from callcenter.db.migrate import upgrade
from callcenter.demo import player as player_module
from callcenter.demo import runner
from callcenter.demo.player import DemoPlayer
from callcenter.demo.story import STORY, cast
from callcenter.demo.voices import ENV_VAR
from callcenter.enterprises.service import DEMO_DIRECTORY, load_enterprises
from callcenter.orders.services import SYSTEM, SearchQuery
from callcenter.settings import Settings
from callcenter.telephony import Telephony, start_telephony
from worksheet.model import Status

SH = ZoneInfo("Asia/Shanghai")
SUNDAY = datetime(2026, 11, 22, 10, 0, tzinfo=SH)  # outside the calling windows: the demo dials the survey itself
# The first voice message's draft against its clip's reference, on the 8 kHz recording the
# simulated PBX leaves: 8.3 % in every run so far (设于 heard as 设立与); the bound leaves room for
# the model's order-dependent decoding. (The second message, "怎么会这样", came out at 0 % or 40 %.)
MESSAGE_CER_MAX = 0.25


@pytest.fixture
async def demo(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               shared_dir: Path) -> AsyncIterator[tuple[Services, Telephony, DemoPlayer]]:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)  # no drop folder here: the voices come from the shared test set
    await upgrade(db_url)
    settings = Settings(database_url=db_url, agi_port=0, audiosocket_port=0, asr_workers=1,
                        recordings_dir=str(tmp_path / "recordings"), blob_dir=str(tmp_path / "blobs"),
                        fax_incoming_dir=str(tmp_path / "spool"), fax_store_dir=str(tmp_path / "fax"))
    services = build_services(settings, clock=lambda: SUNDAY)
    await services.units.upsert_many(read_units("demo"))
    await load_enterprises(services.engine, DEMO_DIRECTORY)
    tel = await start_telephony(settings, services, demo=True, demo_loop=False)
    tel.simulator.time_scale = 0.0  # instant calls; the demo plays them in real time
    try:
        assert tel.ami is not None and tel.asr is not None
        await asyncio.wait_for(tel.ami.connected.wait(), 5)
        status, clips = await runner.prepare(tel.asr)
        tel.demo = status
        actors = cast()
        pages = runner.render_faxes(actors, SUNDAY.date(), tmp_path / "demo")
        yield services, tel, DemoPlayer(services, tel.simulator, actors, clips, Path(settings.recordings_dir),
                                        fax_pages=pages)
    finally:
        await tel.stop()
        await services.engine.dispose()


async def until(cond: Callable[[], Any], what: str, tries: int = 3000) -> None:
    for _ in range(tries):
        if await cond():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def all_orders(services: Services) -> list[Any]:
    return (await services.orders.search(SearchQuery(limit=100), SYSTEM))[0]


async def settled(services: Services) -> None:
    """Every recording transcribed and every fax read."""
    while await services.faxes.run_once():
        pass

    async def transcribed() -> bool:
        counts = await services.speech.jobs.counts()
        return counts.get("done", 0) == 3 and set(counts) == {"done"}
    await until(transcribed, "two voice messages and the agent call transcribed")


async def test_the_story_is_varied_bounded_and_its_voices_are_real(
        demo: tuple[Services, Telephony, DemoPlayer], shared_dir: Path) -> None:
    services, tel, player = demo
    status = tel.demo
    assert status.clips == len(player.clips) >= 3 and status.references == status.clips
    # resolved: ../shared may be a link to the shared folder (shared_dir is resolved)
    assert all(clip.path.parent.resolve() == (shared_dir / "asr_testset").resolve() for clip in player.clips)
    assert status.cer is not None and status.cer < 0.35  # measured once at start, 8 kHz
    assert f"{status.cer:.1%}" in status.banner

    await player.play_story(interval_s=0)
    await settled(services)
    orders = await all_orders(services)
    drafts = [o for o in orders if o.status == Status.DRAFT]
    assert len(drafts) == sum(1 for beat in STORY if beat.makes_draft)  # one per beat: bounded
    assert {o.channel.value for o in drafts} == {"phone", "sms", "fax"}
    assert len({o.category for o in orders}) >= 3
    assert len({o.subject for o in orders}) == len(orders)
    assert len({o.enterprise.phone for o in orders}) == len(orders)  # a different enterprise each time
    named = {o.enterprise.name for o in orders if not o.enterprise.name.startswith("来电")}
    assert len(named) >= 4  # the SMS, the fax, the survey's and the card's enterprises, from the directory

    refs = {clip.path.name: clip.reference for clip in player.clips}
    messages = []
    for order in sorted(drafts, key=lambda o: o.number):  # in the order the story played them
        job = next((j for j in await services.speech.jobs.list() if j["order_number"] == order.number), None)
        if job is None or job["kind"] != "message":
            continue
        assert order.attachments  # the recording
        # the transcript the draft was filled in from (the content is the tidied text alone when
        # that says it all)
        text = next(e.data["suggestion"]["transcript"]["text"] for e in reversed(order.history)
                    if e.type == "amend-draft" and "suggestion" in e.data)
        messages.append((order, text))
    assert len(messages) == 2
    first, text = messages[0]
    assert cer([(refs[player.clips[0].path.name] or "", text)]) < MESSAGE_CER_MAX, text
    assert first.subject != "反映问题留言（待转写）"  # the transcript filled the draft in

    survey = next(o for o in orders if o.status == Status.CLOSED)
    assert [r.rating.value for r in survey.callbacks] == ["satisfied"]
    carded = [o for o in orders if o.cards]
    assert len(carded) == 1 and carded[0].status == Status.DISPATCHED
    calls = [r for r in services.calls.tracker.records() if "order" in (r.get("ivr_path") or [])]
    assert calls and calls[0]["dtmf"].startswith("4" + carded[0].number.replace("-", ""))


async def test_after_the_story_the_demo_trickles_up_to_the_draft_cap(
        demo: tuple[Services, Telephony, DemoPlayer], monkeypatch: pytest.MonkeyPatch) -> None:
    services, _, player = demo
    await player.play_story(interval_s=0)
    before = await player.open_drafts()
    monkeypatch.setattr(player_module, "DRAFT_CAP", before + 2)
    await player.trickle(interval_s=0, limit=5)
    assert await player.open_drafts() == before + 2  # two more messages, then the cap holds
    other = cast(7).enterprises[:5]
    assert cast().enterprises[:5] == cast().enterprises[:5] != other  # the seed fixes who calls
