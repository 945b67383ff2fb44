"""The ASR engine on the real model: accuracy on DEV clips, live streams, statuses, worker recovery."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from asr_helpers import (
    BASELINE_CER_8K,
    BASELINE_CER_16K,
    CER_CLIPS,
    CER_TOLERANCE,
    LONG_CLIP,
    references,
    write_wav,
)

from callcenter.asr.audio import read_wav
from callcenter.asr.engine import AsrEngine
from callcenter.asr.models import DEFAULT_MODEL_NAME
from callcenter.asr.resample import downsample_2x
from callcenter.asr.text import cer


@pytest.fixture(scope="session")
def model_dir(shared_dir: Path) -> Path:
    return shared_dir / "asr_models" / DEFAULT_MODEL_NAME


@pytest.fixture(scope="session")
def testset(shared_dir: Path) -> Path:
    return shared_dir / "asr_testset"


@pytest.mark.parametrize("rate, baseline", [(16000, BASELINE_CER_16K), (8000, BASELINE_CER_8K)])
async def test_cer_matches_raw_vosk_baseline(model_dir: Path, testset: Path, rate: int, baseline: float) -> None:
    refs = references(testset)
    engine = AsrEngine.load(model_dir, mode="thread", workers=1)  # fresh model, fixed order, like the baseline
    try:
        texts = []
        for name in CER_CLIPS:
            pcm = read_wav(testset / name).pcm
            result = await engine.transcribe_pcm(downsample_2x(pcm) if rate == 8000 else pcm, rate)
            assert result.status == "ok", result
            assert " " not in result.text
            texts.append(result.text)
    finally:
        await engine.close()
    measured = cer(zip((refs[n] for n in CER_CLIPS), texts, strict=True))
    assert abs(measured - baseline) <= CER_TOLERANCE, (measured, texts)


async def test_file_stream_and_statuses(model_dir: Path, testset: Path, tmp_path: Path) -> None:
    engine = AsrEngine.load(model_dir, mode="thread", workers=2)
    try:
        whole = await engine.transcribe_file(testset / LONG_CLIP)
        assert whole.ok and len(whole.text) > 10 and whole.rtf and whole.rtf > 0
        assert abs(whole.duration_s - 9.504) < 0.01
        starts = [w.start for w in whole.words]
        assert starts == sorted(starts) and all(0 <= w.conf <= 1 and w.end >= w.start for w in whole.words)
        assert whole.text == "".join(w.word for w in whole.words)

        pcm8 = downsample_2x(read_wav(testset / LONG_CLIP).pcm)
        stream = engine.open_stream(8000)
        events = []
        for offset in range(0, len(pcm8), 320):  # 20 ms frames
            events += await stream.feed(pcm8[offset : offset + 320])
        final = await stream.finish()
        assert any(e.kind == "partial" for e in events)
        assert final.ok and cer([(whole.text, final.text)]) < 0.25, (whole.text, final.text)
        assert abs(final.duration_s - 9.504) < 0.01

        assert (await engine.transcribe_pcm(b"", 16000)).status == "empty"
        assert (await engine.transcribe_pcm(bytes(32000), 16000)).status == "silent"
        assert (await engine.transcribe_pcm(bytes(32000), 44100)).status == "invalid-audio"
        (tmp_path / "bad.wav").write_bytes(b"RIFF....")
        assert (await engine.transcribe_file(tmp_path / "bad.wav")).status == "invalid-audio"
        assert (await engine.transcribe_file(write_wav(tmp_path / "s.wav", bytes(16000)))).status == "silent"
        assert (await engine.open_stream(8000).finish()).status == "empty"
        quiet = engine.open_stream(8000)
        for _ in range(50):
            await quiet.feed(bytes(320))
        assert (await quiet.finish()).status == "silent"
        assert (await engine.open_stream(11025).finish()).status == "invalid-audio"
        aborted = engine.open_stream(8000)
        await aborted.feed(pcm8[:3200])
        await aborted.abort()
        assert await aborted.feed(pcm8[:320]) == []
        assert set(whole.to_json()) == {"status", "text", "words", "duration_s", "rtf", "detail"}
    finally:
        await engine.close()


async def test_process_workers_run_two_streams_and_recover(model_dir: Path, testset: Path) -> None:
    engine = AsrEngine.load(model_dir, mode="process", workers=2)
    clips = [read_wav(testset / name).pcm for name in (LONG_CLIP, CER_CLIPS[3])]
    try:
        alone = [await engine.transcribe_pcm(pcm, 16000) for pcm in clips]

        async def live(pcm: bytes) -> str:
            stream = engine.open_stream(16000)
            for offset in range(0, len(pcm), 640):
                await stream.feed(pcm[offset : offset + 640])
            result = await stream.finish()
            assert result.ok, result
            return result.text

        together = await asyncio.gather(*(live(pcm) for pcm in clips))
        for single, streamed in zip(alone, together, strict=True):  # streamed: text
            assert cer([(single.text, streamed)]) < 0.25

        pool = engine.backend.pool  # type: ignore[union-attr]
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await pool.run_file("debug-sleep", (60,), 1.0)  # a hung decode is killed after its timeout
        with pytest.raises(RuntimeError):
            await pool.run_file("debug-exit", (), 10.0)  # a crashed worker fails only its own job
        after = await asyncio.gather(*(engine.transcribe_pcm(pcm, 16000) for pcm in clips))
        assert all(r.ok for r in after) and time.monotonic() - started < 30
        assert all(w.alive for w in pool.workers)
    finally:
        await engine.close()
