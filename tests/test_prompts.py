"""Prompt rendering with the real espeak-ng: 8 kHz 16-bit mono WAVs, recorded prompts win."""

from __future__ import annotations

import math
import wave
from array import array
from pathlib import Path

import pytest

from ivr.flow import load_menu, menu_path
from ivr.flow.say import SAY_WORDS
from ivr.prompts import PromptBuildError, build_prompts, main, read_wav, resample, write_wav

MENU = """
[menu]
id = "mini"
start = "hello"
on_error = "hello"

[prompts]
hello = "您好，欢迎致电直通热线。"
bye = "再见。"

[[nodes]]
id = "hello"
kind = "hangup"
prompts = ["hello", "bye"]
"""


def params_and_samples(path: Path) -> tuple[tuple[int, int, int], array]:
    with wave.open(str(path), "rb") as w:
        return (w.getframerate(), w.getsampwidth(), w.getnchannels()), array("h", w.readframes(w.getnframes()))


def rms(samples: array) -> float:
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


def tone(freq: float, rate: int, seconds: float = 0.5, amp: int = 8000) -> array:
    return array("h", (round(amp * math.sin(2 * math.pi * freq * n / rate)) for n in range(int(rate * seconds))))


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    path = tmp_path / "mini.toml"
    path.write_text(MENU, encoding="utf-8")
    return path


def test_builds_8k_mono_16bit_speech(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "sounds"
    written = build_prompts([mini], out)
    names = {p.name for p in written}
    assert {"hello.wav", "bye.wav", "say-0.wav", "say-9.wav", "say-st-handling.wav"} <= names
    assert len(written) == 2 + len(SAY_WORDS) + 1  # + the recording beep (a tone)
    rate, beep = read_wav(out / "zhitong" / "beep.wav")
    assert rate == 8000 and 0.2 <= len(beep) / rate <= 0.3 and max(beep) > 4000
    params, samples = params_and_samples(out / "zhitong" / "hello.wav")
    assert params == (8000, 2, 1)
    assert 1.0 < len(samples) / 8000 < 10  # a sentence, not a click
    assert rms(samples) > 300 and max(map(abs, samples)) > 2000  # not silent
    assert build_prompts([mini], out) == []  # existing files kept
    assert len(build_prompts([mini], out, overwrite=True)) == len(written)


def test_recorded_prompt_wins(mini: Path, tmp_path: Path) -> None:
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    studio = tone(440, 8000)
    write_wav(recorded / "hello.wav", studio)
    with wave.open(str(recorded / "bye.wav"), "wb") as w:  # a 16 kHz recording is resampled
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(tone(440, 16000).tobytes())
    out = tmp_path / "sounds"
    build_prompts([mini], out)  # generated first...
    written = build_prompts([mini], out, recorded_dir=recorded)  # ...then the recordings replace them
    assert sorted(p.name for p in written) == ["bye.wav", "hello.wav"]
    assert params_and_samples(out / "zhitong" / "hello.wav") == ((8000, 2, 1), studio)
    params, bye = params_and_samples(out / "zhitong" / "bye.wav")
    assert params == (8000, 2, 1) and len(bye) == 4000


def test_stereo_recording_is_refused(mini: Path, tmp_path: Path) -> None:
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    with wave.open(str(recorded / "hello.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 200)
    with pytest.raises(PromptBuildError, match="mono 16-bit"):
        build_prompts([mini], tmp_path / "out", recorded_dir=recorded)


def test_missing_espeak_names_the_package(mini: Path, tmp_path: Path) -> None:
    with pytest.raises(PromptBuildError, match="install .*'espeak-ng'"):
        build_prompts([mini], tmp_path / "out", espeak="no-such-espeak-binary")


def test_resampler_keeps_the_voice_band_and_drops_aliases() -> None:
    low = resample(tone(1000, 22050), 22050, 8000)
    assert len(low) == 4000
    crossings = sum(1 for a, b in zip(low, low[1:], strict=False) if (a < 0) != (b < 0))
    assert 990 <= crossings <= 1010  # 1 kHz for 0.5 s: ~1000 zero crossings
    assert 0.9 < rms(low[100:-100]) / rms(tone(1000, 22050)) < 1.1
    high = resample(tone(6000, 22050), 22050, 8000)  # above the 4 kHz Nyquist frequency: must not alias
    assert rms(high[100:-100]) < 0.05 * rms(tone(6000, 22050))


def test_command_builds_every_menu_prompt(tmp_path: Path, capsys) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    files = {p.stem for p in (tmp_path / "zhitong").glob("*.wav")}
    for name in ("hotline", "survey"):
        assert set(load_menu(menu_path(name)).prompts) <= files
    assert "written to" in capsys.readouterr().out
    assert main(["--out", str(tmp_path), "--espeak", "no-such-espeak-binary", "--overwrite"]) == 1
