"""Live transcription end to end: the PBX simulator streams a real Mandarin clip over AudioSocket
(8 kHz slin, 20 ms frames, a DTMF digit, then a plain TCP close) to our server, which decodes it
with the real Vosk model and publishes partial and final results."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from callcenter.asr.engine import AsrEngine
from callcenter.asr.text import levenshtein, normalize_for_cer
from callcenter.pbxsim import PbxSimulator
from callcenter.pbxsim.scenarios import AUDIOSOCKET_CALL
from callcenter.speech.hub import LiveHub
from callcenter.speech.live import AudioSocketServer


@pytest.fixture
async def engine(shared_dir: Path) -> AsyncIterator[AsrEngine]:
    eng = AsrEngine.load(shared_dir / "asr_models" / "vosk-model-small-cn-0.22", mode="thread", workers=2)
    yield eng
    await eng.close()


def reference(shared_dir: Path, clip: str) -> str:
    for line in (shared_dir / "asr_testset" / "transcripts.tsv").read_text("utf-8").splitlines():
        name, _, text = line.partition("\t")
        if name == clip:
            return text
    raise AssertionError(f"{clip} not in transcripts.tsv")


async def test_a_streamed_call_is_transcribed_live_and_finally(engine: AsrEngine, shared_dir: Path) -> None:
    clip = "common_voice_zh-CN_18627003.wav"
    hub = LiveHub()
    finals: dict[str, Any] = {}

    async def on_final(uuid: str, transcript: Any) -> None:
        finals[uuid] = transcript

    server = AudioSocketServer(engine, hub, on_final)
    port = (await server.start("127.0.0.1", 0)).sockets[0].getsockname()[1]
    try:
        async with hub.subscribe() as events, PbxSimulator(audiosocket_target=("127.0.0.1", port)) as sim:
            scenario = replace(AUDIOSOCKET_CALL, audio_file=str(shared_dir / "asr_testset" / clip), audio_dtmf="5")
            result = await sim.run(scenario)
            assert result.error is None, result.error
            for _ in range(500):
                if finals:
                    break
                await asyncio.sleep(0.01)
            seen = []
            while not events.empty():
                seen.append(events.get_nowait())
    finally:
        await server.close()
    (uuid, transcript), = finals.items()
    assert transcript.status == "ok" and transcript.words
    ref = normalize_for_cer(reference(shared_dir, clip))
    cer = levenshtein(normalize_for_cer(transcript.text), ref) / len(ref)
    assert cer < 0.5, (transcript.text, ref)  # a short read sentence; the set-wide figures are in bench/asr
    kinds = [e["kind"] for e in seen if e["call"] == uuid]
    assert "dtmf" in kinds and kinds[-1] == "transcript"
    assert seen[-1]["text"] == transcript.text
    assert server.calls == 1 and server.rejected == 0
