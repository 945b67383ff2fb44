"""The demo's character error rate: its clips, transcribed once at start as the PBX delivers them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from callcenter.asr.text import cer
from callcenter.demo.voices import VoiceClip
from callcenter.pbxsim.voice import caller_audio

logger = logging.getLogger(__name__)


async def measure_cer(engine: Any, clips: Sequence[VoiceClip]) -> float | None:
    """Corpus CER over the clips with a reference (None when none could be scored), each resampled
    to 8 kHz slin as Asterisk records a caller. One clip at a time: on a busy machine queued jobs
    would run into the engine's time limit, and a clip not decoded says nothing about accuracy
    (it is named in the log and left out, not counted as all wrong)."""
    pairs = []
    for clip in clips:
        if not clip.reference:
            continue
        pcm = await asyncio.to_thread(caller_audio, str(clip.path))
        result = await engine.transcribe_pcm(pcm, 8000)
        if getattr(result, "status", "ok") != "ok":
            logger.warning("demo: %s not decoded for the CER (%s)", clip.name, result.status)
            continue
        pairs.append((clip.reference, result.text))
    return cer(pairs) if pairs else None
