"""Audio for the real-PBX tests: real Mandarin clips at 8 kHz, a hold-music tone, and what a
caller heard measured for dead air."""

from __future__ import annotations

import math
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

from ivr.prompts import read_wav, resample, write_wav

FRAME = 160  # 20 ms at 8 kHz


def clip_8k(src: Path, dst_dir: Path) -> str:
    """Resample a 16 kHz test-set clip to 8 kHz WAV in ``dst_dir``; return its Playback name."""
    rate, samples = read_wav(src)
    dst = dst_dir / f"{src.stem}.wav"
    if not dst.exists():
        write_wav(dst, resample(samples, rate, 8000) if rate != 8000 else samples)
    return str(dst.with_suffix(""))


def tone(path: Path, seconds: float = 10.0, hz: float = 440.0) -> None:
    """Hold music: the shipped image installs MOH files; the test build has none (a download)."""
    n = int(8000 * seconds)
    samples = array("h", (int(6000 * math.sin(2 * math.pi * hz * i / 8000) * (1 if (i // 4000) % 2 else 0.4))
                          for i in range(n)))
    write_wav(path, samples)


@dataclass(frozen=True)
class Heard:
    seconds: float
    longest_silence_s: float
    loud_seconds: float


def measure(path: Path, threshold: int = 150, *, start_s: float = 0.0, end_s: float | None = None) -> Heard:
    """Duration, longest run of 20 ms frames below ``threshold`` RMS, and time above it, within
    [start_s, end_s) of the recording."""
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        raw = w.readframes(w.getnframes())
    samples = array("h")
    samples.frombytes(raw[: len(raw) // 2 * 2])
    samples = samples[int(start_s * rate): None if end_s is None else int(end_s * rate)]
    frame = rate // 50
    longest = run = loud = 0
    for start in range(0, len(samples) - frame + 1, frame):
        chunk = samples[start:start + frame]
        rms = math.sqrt(sum(s * s for s in chunk) / frame)
        if rms < threshold:
            run += 1
            longest = max(longest, run)
        else:
            run = 0
            loud += 1
    return Heard(len(samples) / rate, longest * frame / rate, loud * frame / rate)
