"""The ASR engine: file/PCM transcription and live streams over Vosk, decoding off the event loop.

Measured on this 2-core box (``python bench/asr_bench.py``, vosk-model-small-cn-0.22, 65-clip DEV set,
quiet machine, 2026-11-23):

- CER: raw Vosk 27.65 % (16 kHz), 29.24 % (8 kHz via our half-band FIR; 30.35 % via audioop.ratecv,
  sox gives 30.5 %); this pipeline 27.4-27.8 % (16 kHz, two runs: Vosk decoding varies slightly),
  28.9 % (8 kHz files), 28.5 % (8 kHz live streams, live profile).
- Throughput, one worker: raw 3.5x real time, pipeline 3.35x (0.95x raw; word times and
  confidences cost most of the difference). Two workers: threads 6.5x, processes 6.7x.
- Live 8 kHz calls (20 ms frames batched to 200 ms, arriving over 2 s, live profile): 8 keep up
  (p95 feed lag 0.11 s after each call's first 10 s; the first seconds expand the decoding graph),
  10 and 12 fall behind. Processes at 8 calls fall behind (p95 1.1 s): threads it is,
  hence ``AUTO_MODE = "thread"``.
- A 180 s live call: final transcript 0.06 s after hangup.

``mode="auto"`` picks ``AUTO_MODE`` below. Threads share one model (cffi releases the GIL inside
``AcceptWaveform``, so two threads use two cores); processes each load the model once (~250 MB RSS each, measured)
but a hung decode can be killed and a crashed worker is replaced without taking the service down.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from callcenter.asr.audio import SILENCE_RMS, check_pcm, max_window_rms, read_wav
from callcenter.asr.backends import ProcessBackend, ThreadBackend
from callcenter.asr.models import verify_model
from callcenter.asr.profiles import live_model_dir
from callcenter.asr.results import StreamResult, Transcript, Word

AUTO_MODE = "thread"
MODES = ("auto", "thread", "process")


def job_timeout(duration_s: float) -> float:
    """Generous per-job limit: decoding runs at ~0.2x real time on one core."""
    return 15.0 + 2.0 * duration_s


class AsrEngine:
    def __init__(self, backend: ThreadBackend | ProcessBackend, mode: str, workers: int) -> None:
        self.backend = backend
        self.mode = mode
        self.workers = workers

    @classmethod
    def load(cls, model_dir: Path, *, mode: str = "auto", workers: int | None = None,
             live_profile: bool = True) -> AsrEngine:
        """Check the model (sizes) and load it; raises ``ModelError`` when missing or damaged.
        Live streams decode with the lighter search of :mod:`callcenter.asr.profiles`."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        verify_model(model_dir, full=False).raise_for_problems()
        chosen = AUTO_MODE if mode == "auto" else mode
        count = workers or os.cpu_count() or 1
        live = live_model_dir(model_dir) if live_profile else None
        backend = ThreadBackend(model_dir, count, live) if chosen == "thread" else ProcessBackend(model_dir, count, live)
        return cls(backend, chosen, count)

    async def transcribe_file(self, path: Path) -> Transcript:
        audio = await asyncio.to_thread(read_wav, Path(path))
        if not audio.ok:
            return Transcript.not_decoded(audio.status, audio.detail, audio.duration_s)
        return await self._decode(audio.pcm, audio.sample_rate)

    async def transcribe_pcm(self, pcm: bytes, sample_rate: int) -> Transcript:
        """slin16 little-endian mono at 8000 or 16000 Hz."""
        audio = await asyncio.to_thread(check_pcm, bytes(pcm), sample_rate)
        if not audio.ok:
            return Transcript.not_decoded(audio.status, audio.detail, audio.duration_s)
        return await self._decode(audio.pcm, audio.sample_rate)

    async def _decode(self, pcm: bytes, sample_rate: int) -> Transcript:
        duration = len(pcm) / 2 / sample_rate
        try:
            result = await self.backend.decode(pcm, sample_rate, job_timeout(duration))
        except TimeoutError:
            return Transcript.not_decoded("timeout", f"decode exceeded {job_timeout(duration):.0f} s", duration)
        except Exception as exc:
            return Transcript.not_decoded("failed", str(exc) or type(exc).__name__, duration)
        return Transcript.from_decoder(result)

    def open_stream(self, sample_rate: int = 8000) -> AsrStream:
        """One recognizer per call; the recognizer is created on the first :meth:`AsrStream.feed`."""
        return AsrStream(self, sample_rate)

    async def close(self) -> None:
        await self.backend.close()


class AsrStream:
    """Live audio of one call. Feeds are serialised; after a failure, :meth:`finish` reports it."""

    def __init__(self, engine: AsrEngine, sample_rate: int) -> None:
        self.engine = engine
        self.sample_rate = sample_rate
        self._handle: Any = None
        self._lock = asyncio.Lock()
        self._carry = b""
        self._bytes = 0
        self._loudest = 0.0
        self._error: Transcript | None = None
        self._closed = False
        if sample_rate not in (8000, 16000):
            self._error = Transcript.not_decoded("invalid-audio", f"unsupported sample rate {sample_rate}")

    def _fail(self, status: str, detail: str) -> None:
        self._error = Transcript.not_decoded(status, detail, self._bytes / 2 / self.sample_rate)

    async def _call(self, op: str, *args: Any, timeout: float = 30.0) -> Any:
        try:
            if self._handle is None:
                self._handle = await self.engine.backend.stream_open(self.sample_rate, timeout)
            method = getattr(self.engine.backend, f"stream_{op}")
            return await method(self._handle, *args, timeout)
        except TimeoutError:
            self._fail("timeout", f"stream {op} exceeded {timeout:.0f} s")
        except Exception as exc:
            self._fail("failed", str(exc) or type(exc).__name__)
        return None

    async def feed(self, pcm: bytes) -> list[StreamResult]:
        """slin16 LE audio (any length); returns new partial/final results."""
        async with self._lock:
            if self._closed or self._error is not None:
                return []
            data = self._carry + bytes(pcm)
            cut = len(data) - len(data) % 2
            data, self._carry = data[:cut], data[cut:]
            if not data:
                return []
            self._bytes += len(data)
            self._loudest = max(self._loudest, max_window_rms(data, self.sample_rate))
            events = await self._call("feed", data)
            return [StreamResult(kind, text, Word.many(words)) for kind, text, words in events or ()]

    async def finish(self) -> Transcript:
        async with self._lock:
            if self._closed:
                return Transcript.not_decoded("failed", "stream already finished")
            self._closed = True
            duration = self._bytes / 2 / self.sample_rate
            if self._error is not None:
                await self._release()
                return self._error
            if self._bytes == 0:
                await self._release()
                return Transcript.not_decoded("empty", "no audio was fed")
            result = await self._call("finish", timeout=job_timeout(duration))
            if self._error is not None:
                return self._error
            transcript = Transcript.from_decoder(result)
            if not transcript.text and self._loudest < SILENCE_RMS:
                return Transcript("", (), transcript.duration_s, transcript.rtf, "silent",
                                  f"max 100 ms RMS {self._loudest:.1f} < {SILENCE_RMS}")
            return transcript

    async def _release(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            try:
                await self.engine.backend.stream_abort(handle)
            except Exception:
                pass  # the worker is gone, so is the recognizer

    async def abort(self) -> None:
        async with self._lock:
            self._closed = True
            await self._release()
