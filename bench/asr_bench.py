"""Benchmark: ASR accuracy, throughput and live capacity on the shared DEV set (never tune on it).

    python bench/asr_bench.py [--sections cer,throughput,capacity,latency] [--call-seconds 180]

(a) cer: raw Vosk exactly as the test set's SOURCE.md describes (one Model, files in transcripts.tsv
    order, 200 ms chunks, endpoint results + FinalResult) at 16 kHz and at 8 kHz, for both 16->8 kHz
    downsamplers (our half-band FIR and ``audioop.ratecv``), then our pipeline (AsrEngine) on the same
    audio. Scoring: NFKC, letters/numbers only, corpus CER.
(b) throughput: raw loop vs pipeline with one worker on the same files (target >= 0.9x), then threads
    vs processes with 2 workers (files submitted concurrently).
(c) capacity: N live 8 kHz streams (20 ms frames paced by the clock, test-set clips looped), auto mode for
    each N of --streams and the other mode at N=8;
    calls arriving over 2 s, frames batched into 200 ms feeds as the AudioSocket server does;
    lag = how late a feed returns after the real-time deadline of its last frame, judged after each
    call's first 10 s (a fresh model expands its decoding graph lazily: the first seconds are slow,
    reported apart as warm-up); keeps up if p95 < 0.5 s.
(d) latency: one ``--call-seconds`` 8 kHz call streamed live; time from the last frame to finish().
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vosk  # noqa: E402

from callcenter.asr.audio import read_wav  # noqa: E402
from callcenter.asr.engine import AUTO_MODE, AsrEngine  # noqa: E402
from callcenter.asr.models import find_model  # noqa: E402
from callcenter.asr.resample import downsample_2x  # noqa: E402
from callcenter.asr.text import cer  # noqa: E402
from callcenter.speech.live import FEED_BYTES  # noqa: E402

TESTSET = Path(__file__).resolve().parents[2] / "shared" / "asr_testset"


def load_set(testset: Path) -> list[tuple[str, str, bytes]]:
    rows = []
    for line in (testset / "transcripts.tsv").read_text(encoding="utf-8").splitlines():
        name, reference = line.split("\t")
        rows.append((name, reference, read_wav(testset / name).pcm))
    return rows


def ratecv_8k(pcm: bytes) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    return audioop.ratecv(pcm, 2, 1, 16000, 8000, None)[0]


def raw_vosk(model: vosk.Model, clips: list[bytes], rate: int) -> tuple[list[str], float]:
    """The minimal loop of SOURCE.md; returns hypotheses and decode wall time."""
    hypotheses, started = [], time.perf_counter()
    for pcm in clips:
        recognizer = vosk.KaldiRecognizer(model, rate)
        parts, step = [], rate // 5 * 2
        for offset in range(0, len(pcm), step):
            if recognizer.AcceptWaveform(pcm[offset : offset + step]):
                parts.append(json.loads(recognizer.Result())["text"])
        parts.append(json.loads(recognizer.FinalResult())["text"])
        hypotheses.append(" ".join(parts))
    return hypotheses, time.perf_counter() - started


async def pipeline(model_dir: Path, clips: list[bytes], rate: int, mode: str, workers: int) -> tuple[list[str], float]:
    engine = AsrEngine.load(model_dir, mode=mode, workers=workers)
    try:
        await engine.transcribe_pcm(clips[0][: rate * 2], rate)  # start workers outside the timing
        started = time.perf_counter()
        results = await asyncio.gather(*(engine.transcribe_pcm(pcm, rate) for pcm in clips))
        return [r.text for r in results], time.perf_counter() - started
    finally:
        await engine.close()


async def live_streams(model_dir: Path, audio: bytes, streams: int, seconds: float, mode: str) -> dict[str, float]:
    engine = AsrEngine.load(model_dir, mode=mode, workers=2)
    frame, lags, warm_lags, finals = 320, [], [], 0
    await engine.transcribe_pcm(audio[:16000], 8000)

    async def call(index: int) -> float:
        nonlocal finals
        await asyncio.sleep(index * 2.0 / streams)  # calls arrive over 2 s, not in one instant
        stream = engine.open_stream(8000)
        offset = (index * 7919 * frame) % (len(audio) - frame)
        start = time.perf_counter()
        pending = bytearray()
        for k in range(int(seconds / 0.02)):
            deadline = start + (k + 1) * 0.02
            await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
            position = (offset + k * frame) % (len(audio) - frame)
            pending += audio[position : position + frame]
            if len(pending) < FEED_BYTES:
                continue  # frames are batched as the AudioSocket server does
            events = await stream.feed(bytes(pending))
            pending.clear()
            finals += sum(e.kind == "final" for e in events)
            if (k + 1) * 0.02 >= WARMUP_S:  # the first seconds expand the decoding graph (see SOURCE.md)
                lags.append(time.perf_counter() - deadline)
            else:
                warm_lags.append(time.perf_counter() - deadline)
        ended = time.perf_counter()
        transcript = await stream.finish()
        assert transcript.ok, transcript
        return time.perf_counter() - ended

    try:
        finish = await asyncio.gather(*(call(i) for i in range(streams)))
    finally:
        await engine.close()
    lags.sort()
    return {"p50_lag_s": lags[len(lags) // 2], "p95_lag_s": lags[int(len(lags) * 0.95)], "max_lag_s": lags[-1],
            "max_finish_s": max(finish), "finals": finals, "warmup_max_lag_s": max(warm_lags, default=0.0)}


WARMUP_S = 10.0  # lag is judged after this many seconds of each call


def row(label: str, value: str) -> None:
    print(f"| {label:<58} | {value:>28} |", flush=True)


async def live_path(model_dir: Path, clips: list[bytes]) -> list[str]:
    """Each clip through a live stream (live decoding profile, 200 ms feeds), two at a time."""
    engine = AsrEngine.load(model_dir, mode="thread", workers=2)
    slots = asyncio.Semaphore(2)

    async def one(pcm: bytes) -> str:
        async with slots:
            stream = engine.open_stream(8000)
            for offset in range(0, len(pcm), FEED_BYTES):
                await stream.feed(pcm[offset : offset + FEED_BYTES])
            return (await stream.finish()).text

    try:
        return list(await asyncio.gather(*(one(pcm) for pcm in clips)))
    finally:
        await engine.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", default="cer,throughput,capacity,latency")
    parser.add_argument("--testset", type=Path, default=TESTSET)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--stream-seconds", type=float, default=60.0)
    parser.add_argument("--streams", default="4,6,8,10,12", help="live stream counts to try")
    parser.add_argument("--call-seconds", type=float, default=180.0)
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    model_dir = find_model(args.model)
    rows = load_set(args.testset)
    references = [r[1] for r in rows]
    clips16 = [r[2] for r in rows]
    clips8 = [downsample_2x(pcm) for pcm in clips16]
    audio_s = sum(len(p) for p in clips16) / 32000
    print(f"{len(rows)} clips, {audio_s:.1f} s audio, model {model_dir}\n")
    row("measurement", "value")
    row("-" * 58, "-" * 28)
    if sections & {"cer", "throughput"}:
        vosk.SetLogLevel(-1)
        model = vosk.Model(str(model_dir))
        hyp16, raw_s = raw_vosk(model, clips16, 16000)
        row("CER raw Vosk 16 kHz", f"{cer(zip(references, hyp16, strict=True)):.2%}")
        row("throughput raw Vosk 16 kHz, 1 core (x real time)", f"{audio_s / raw_s:.2f}")
    if "cer" in sections:
        hyp8, _ = raw_vosk(model, clips8, 8000)
        row("CER raw Vosk 8 kHz (half-band FIR 16->8)", f"{cer(zip(references, hyp8, strict=True)):.2%}")
        hyp8r, _ = raw_vosk(model, [ratecv_8k(p) for p in clips16], 8000)
        row("CER raw Vosk 8 kHz (audioop.ratecv 16->8)", f"{cer(zip(references, hyp8r, strict=True)):.2%}")
    if sections & {"cer", "throughput"}:
        texts, pipe_s = await pipeline(model_dir, clips16, 16000, "thread", 1)
        row("CER pipeline 16 kHz (thread, 1 worker)", f"{cer(zip(references, texts, strict=True)):.2%}")
        row("throughput pipeline 16 kHz, 1 worker (x real time)", f"{audio_s / pipe_s:.2f}")
        row("pipeline / raw throughput (target >= 0.9)", f"{raw_s / pipe_s:.2f}")
    if "cer" in sections:
        texts, _ = await pipeline(model_dir, clips8, 8000, "thread", 2)
        row("CER pipeline 8 kHz (thread, 2 workers)", f"{cer(zip(references, texts, strict=True)):.2%}")
        texts = await live_path(model_dir, clips8)
        row("CER pipeline 8 kHz live streams (live profile)", f"{cer(zip(references, texts, strict=True)):.2%}")
    if "throughput" in sections:
        for mode in ("thread", "process"):
            texts, wall = await pipeline(model_dir, clips16, 16000, mode, 2)
            row(f"throughput {mode} backend, 2 workers, 16 kHz (x real time)", f"{audio_s / wall:.2f}")
    audio8 = b"".join(clips8)
    if "capacity" in sections:
        counts = [int(n) for n in args.streams.split(",")]
        other = "process" if AUTO_MODE == "thread" else "thread"
        for mode, n in [(AUTO_MODE, n) for n in counts] + [(other, 8)]:
            r = await live_streams(model_dir, audio8, n, args.stream_seconds, mode)
            verdict = "keeps up" if r["p95_lag_s"] < 0.5 else "FALLS BEHIND"
            row(f"{n} live 8k streams, {mode}: p50/p95/max lag, finish (s)",
                f"{r['p50_lag_s']:.3f}/{r['p95_lag_s']:.3f}/{r['max_lag_s']:.2f}, {r['max_finish_s']:.2f}")
            row(f"  -> {verdict} (warm-up max lag {r['warmup_max_lag_s']:.2f} s)", f"{r['finals']} finals")
    if "latency" in sections:
        r = await live_streams(model_dir, audio8, 1, args.call_seconds, "auto")
        row(f"{args.call_seconds:.0f} s live 8k call: finish() after hangup (target <= 1 s)", f"{r['max_finish_s']:.3f} s")
        row("  feed lag p95 / max (s)", f"{r['p95_lag_s']:.3f} / {r['max_lag_s']:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
