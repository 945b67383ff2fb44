"""WAV input for ASR: read, normalise to mono slin16 at 8 or 16 kHz, and validate.

Bad input never raises to the caller: :func:`read_wav` and :func:`check_pcm` return an
:class:`AudioInput` whose ``status`` is ``"ok"``, ``"empty"``, ``"silent"`` or ``"invalid-audio"``.
"""

from __future__ import annotations

import math
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

from callcenter.asr.resample import downsample_2x, resample_linear, upsample_2x

SUPPORTED_RATES = (8000, 16000)
# Max RMS over 100 ms windows below this (int16 scale, ~-60 dBFS) counts as silence.
SILENCE_RMS = 30.0


@dataclass(frozen=True)
class AudioInput:
    status: str  # "ok" | "empty" | "silent" | "invalid-audio"
    pcm: bytes = b""
    sample_rate: int = 16000
    detail: str = ""

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate if self.sample_rate else 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def max_window_rms(pcm: bytes, sample_rate: int, window_s: float = 0.1) -> float:
    """Loudest 100 ms window's RMS (every 4th sample is enough to tell speech from silence)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    width = max(1, int(sample_rate * window_s))
    loudest = 0.0
    for start in range(0, len(samples), width):
        window = samples[start : start + width : 4]
        if window:
            loudest = max(loudest, sum(v * v for v in window) / len(window))
    return math.sqrt(loudest)


def check_pcm(pcm: bytes, sample_rate: int) -> AudioInput:
    """Validate raw slin16 LE mono audio at 8 or 16 kHz."""
    if sample_rate not in SUPPORTED_RATES:
        return AudioInput("invalid-audio", detail=f"unsupported sample rate {sample_rate} (use 8000 or 16000)")
    if len(pcm) % 2:
        return AudioInput("invalid-audio", detail="odd byte count: not 16-bit samples")
    if not pcm:
        return AudioInput("empty", sample_rate=sample_rate, detail="no samples")
    rms = max_window_rms(pcm, sample_rate)
    if rms < SILENCE_RMS:
        return AudioInput("silent", pcm, sample_rate, detail=f"max 100 ms RMS {rms:.1f} < {SILENCE_RMS}")
    return AudioInput("ok", pcm, sample_rate)


def to_mono(pcm: bytes, channels: int) -> bytes:
    """Average interleaved channels into one."""
    samples = array("h")
    samples.frombytes(pcm)
    frames = len(samples) // channels
    columns = [samples[c : frames * channels : channels] for c in range(channels)]
    return array("h", (sum(values) // channels for values in zip(*columns, strict=True))).tobytes()


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """8k<->16k with the half-band FIR; anything else by filtered linear interpolation."""
    if from_rate == to_rate:
        return pcm
    if from_rate == 2 * to_rate:
        return downsample_2x(pcm)
    if to_rate == 2 * from_rate:
        return upsample_2x(pcm)
    return resample_linear(pcm, from_rate, to_rate)


def read_wav(path: Path, *, allow_resample: bool = True) -> AudioInput:
    """Read a PCM WAV file. 8/16 kHz kept; other rates resampled to 16 kHz (or refused); stereo mixed down."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate, declared = wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()
            pcm = wav.readframes(declared)
    except FileNotFoundError:
        return AudioInput("invalid-audio", detail=f"no such file: {path}")
    except (wave.Error, EOFError, OSError, ValueError) as exc:
        return AudioInput("invalid-audio", detail=f"not a readable PCM WAV: {exc or type(exc).__name__}")
    if width != 2:
        return AudioInput("invalid-audio", detail=f"sample width {8 * width} bit; only 16-bit PCM is supported")
    if channels < 1 or rate <= 0:
        return AudioInput("invalid-audio", detail=f"bad header: {channels} channels, {rate} Hz")
    if len(pcm) < declared * channels * width:
        return AudioInput("invalid-audio", detail=f"truncated data: header declares {declared} frames, "
                                                  f"file holds {len(pcm) // (channels * width)}")
    if channels > 1:
        pcm = to_mono(pcm, channels)
    if rate not in SUPPORTED_RATES:
        if not allow_resample:
            return AudioInput("invalid-audio", detail=f"sample rate {rate} Hz; expected 8000 or 16000")
        pcm, rate = resample(pcm, rate, 16000), 16000
    return check_pcm(pcm, rate)
