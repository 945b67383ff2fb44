"""The simulated caller's voice: speech from a WAV file, as Asterisk would deliver it (8 kHz slin)."""

from __future__ import annotations

import wave
from pathlib import Path

from callcenter.asr.audio import read_wav, resample


def caller_audio(path: str) -> bytes:
    audio = read_wav(Path(path))
    if not audio.ok:
        raise ValueError(f"caller audio {path}: {audio.status} {audio.detail}")
    return audio.pcm if audio.sample_rate == 8000 else resample(audio.pcm, audio.sample_rate, 8000)


def write_call_recording(variables: dict[str, str], given: tuple[tuple[str, str], ...], audio_file: str | None) -> None:
    """MixMonitor's file of an answered call (the caller's speech only), written when the scenario
    names a recordings folder of its own (``ZT_RECDIR``: the demo shares one with the app); the
    shipped spool path is never written to."""
    path = variables.get("ZT_CALL_RECORDING")
    if audio_file and path and any(name == "ZT_RECDIR" for name, _ in given):
        write_recording(Path(path), caller_audio(audio_file))


def write_recording(path: Path, pcm: bytes) -> None:
    """What Record()/RECORD FILE leaves on disk: an 8 kHz mono 16-bit WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(pcm)
