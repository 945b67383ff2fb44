"""Starting the demo: find the real voices, measure their CER once, render the faxes, play the story."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date
from pathlib import Path
from typing import Any

from callcenter.asr.audio import read_wav
from callcenter.demo.accuracy import measure_cer
from callcenter.demo.player import DemoPlayer
from callcenter.demo.status import DemoStatus
from callcenter.demo.story import STORY, Cast, cast, fax_line, fill
from callcenter.demo.voices import DROP_FOLDER, ENV_VAR, VoiceClip, VoicesError, find_voices

logger = logging.getLogger(__name__)
DEMO_DIR = Path("var") / "demo"


def usable_clips() -> tuple[VoiceClip, ...]:
    """The voices found, minus files that are not readable speech (each named in the log)."""
    try:
        voices = find_voices()
    except VoicesError as exc:
        logger.error("demo: %s", exc)
        return ()
    clips = []
    for clip in voices.clips:
        audio = read_wav(clip.path)
        if audio.ok:
            clips.append(clip)
        else:
            logger.warning("demo: %s left out (%s %s)", clip.path, audio.status, audio.detail)
    if not clips:
        logger.warning("demo: no real speech found, so no voice messages or agent calls in the story: put WAV "
                       "clips (with <name>.txt transcripts) in %s or name a folder in %s", DROP_FOLDER, ENV_VAR)
    return tuple(clips)


async def find(asr: Any) -> tuple[DemoStatus, tuple[VoiceClip, ...]]:
    clips = await asyncio.to_thread(usable_clips)
    status = DemoStatus(clips=len(clips), references=sum(1 for c in clips if c.reference), speech=asr is not None)
    return status, clips


async def measure(status: DemoStatus, clips: tuple[VoiceClip, ...], asr: Any) -> None:
    """Once per start: the clips' CER at 8 kHz, as one line in the log and on the agent's page."""
    if not clips:
        return
    if asr is not None and status.references:
        status.measuring = True
        try:
            status.cer = await measure_cer(asr, clips)
        finally:
            status.measuring = False
    rate = "not measured" if status.cer is None else f"{status.cer:.1%}"
    logger.info("demo: %d real speech clips from %s; CER at 8 kHz %s", len(clips), clips[0].path.parent, rate)


async def prepare(asr: Any) -> tuple[DemoStatus, tuple[VoiceClip, ...]]:
    """What the demo's start does before its story (tests call it at once)."""
    status, clips = await find(asr)
    await measure(status, clips, asr)
    return status, clips


def render_faxes(actors: Cast, today: date, folder: Path = DEMO_DIR) -> dict[int, str | None]:
    """The page each fax beat sends (needs a CJK font, e.g. Debian's fonts-wqy-zenhei)."""
    from callcenter.fax.sample import CjkFontMissing, render_fax_tiff

    pages: dict[int, str | None] = {}
    for index, beat in enumerate(STORY):
        if beat.kind != "fax":
            continue
        try:
            who = actors.of(index)
            header = f"{today.isoformat()}  FROM: {fax_line(who)}"  # what the sending machine prints on top
            data = render_fax_tiff(fill(beat.lines, who), header=header)
        except CjkFontMissing as exc:
            logger.warning("demo: the fax is sent without a page (%s)", exc)
            pages[index] = None
            continue
        path = folder / f"fax-{index}.tif"
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        pages[index] = str(path)
    return pages


async def run(player: DemoPlayer, status: DemoStatus, asr: Any, ami: Any) -> None:
    """The CER (decoded here, so the service answers at once), the story, then the trickle;
    cancelled when the service stops."""
    with contextlib.suppress(asyncio.CancelledError):
        await measure(status, player.clips, asr)
        await ami.connected.wait()
        await player.play_story()
        await player.trickle()


async def start(tel: Any, services: Any, recordings: Path) -> DemoStatus:
    status, clips = await find(tel.asr)
    who = cast()
    player = DemoPlayer(services, tel.simulator, who, clips, recordings,
                        fax_pages=await asyncio.to_thread(render_faxes, who, services.clock().date()))
    tel.tasks.append(asyncio.create_task(run(player, status, tel.asr, tel.ami), name="pbxsim-demo"))
    return status
