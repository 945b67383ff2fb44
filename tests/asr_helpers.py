"""Helpers for the ASR tests: synthetic WAVs and the DEV clips used for the CER check."""

from __future__ import annotations

import math
import wave
from array import array
from pathlib import Path

# Ten short DEV clips (28 s, 64 reference characters). Raw Vosk on exactly these, one fresh Model,
# in this order, 200 ms chunks (``raw_vosk`` in bench/asr_bench.py): CER 15.6 % at
# 16 kHz and 17.2 % at 8 kHz (our half-band FIR 16->8). One character = 1.56 points.
CER_CLIPS = [f"common_voice_zh-CN_{n}.wav" for n in (
    "20768225", "21562612", "22168996", "22108263", "18960243",
    "22190498", "22016744", "22104488", "18776251", "19029344",
)]
BASELINE_CER_16K = 0.156
BASELINE_CER_8K = 0.172
CER_TOLERANCE = 0.047  # three characters
LONG_CLIP = "common_voice_zh-CN_18536499.wav"  # 9.5 s


def references(testset: Path) -> dict[str, str]:
    lines = (testset / "transcripts.tsv").read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t") for line in lines)


def sine(freq: float, seconds: float, rate: int, amplitude: float = 8000.0) -> bytes:
    count = int(seconds * rate)
    return array("h", (int(amplitude * math.sin(2 * math.pi * freq * i / rate)) for i in range(count))).tobytes()


def write_wav(path: Path, pcm: bytes, rate: int = 16000, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return path


def rms(pcm: bytes) -> float:
    samples = array("h")
    samples.frombytes(pcm)
    return math.sqrt(sum(v * v for v in samples) / max(len(samples), 1))
