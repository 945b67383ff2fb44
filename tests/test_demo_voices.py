"""Where the demo finds real speech, how it scores it once at start, and what it says without any."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from asr_helpers import sine, write_wav

from callcenter.asr.resample import downsample_2x
from callcenter.demo import runner
from callcenter.demo.accuracy import measure_cer
from callcenter.demo.status import DemoStatus
from callcenter.demo.voices import ENV_VAR, PREFERRED_CLIPS, VoiceClip, VoicesError, find_voices
from callcenter.pbxsim.voice import caller_audio


def speech_like(path: Path, rate: int = 16000) -> Path:
    return write_wav(path, sine(440, 1.0, rate), rate=rate)


def test_a_folder_named_in_the_environment_wins_with_its_transcripts(tmp_path: Path) -> None:
    own = tmp_path / "mine"
    own.mkdir()
    speech_like(own / "b.wav")
    speech_like(own / "a.wav", rate=8000)
    (own / "a.txt").write_text("华翔路施工，货车出不去。\n", encoding="utf-8")
    (own / "notes.txt").write_text("not a clip", encoding="utf-8")
    voices = find_voices({ENV_VAR: str(own)}, cwd=tmp_path, shared=tmp_path / "none")
    assert voices.source == ENV_VAR
    assert [(c.name, c.reference) for c in voices.clips] == [("a.wav", "华翔路施工，货车出不去。"), ("b.wav", None)]


def test_a_missing_folder_in_the_environment_is_an_error_not_a_fall_through(tmp_path: Path) -> None:
    with pytest.raises(VoicesError, match=ENV_VAR):
        find_voices({ENV_VAR: str(tmp_path / "nowhere")}, cwd=tmp_path)


def test_the_drop_folder_comes_before_the_shared_set(tmp_path: Path, shared_dir: Path) -> None:
    testset = shared_dir / "asr_testset"
    shared = find_voices({}, cwd=tmp_path, shared=testset)
    assert shared.source == "shared test set"
    assert [c.name for c in shared.clips] == [f"common_voice_zh-CN_{n}.wav" for n in PREFERRED_CLIPS]
    assert all(c.reference for c in shared.clips)  # from transcripts.tsv
    drop = tmp_path / "var" / "demo" / "voices"
    drop.mkdir(parents=True)
    speech_like(drop / "own.wav")
    assert [c.name for c in find_voices({}, cwd=tmp_path, shared=testset).clips] == ["own.wav"]
    assert not find_voices({}, cwd=tmp_path / "elsewhere", shared=tmp_path / "none")


def test_clips_reach_the_recogniser_at_8_khz_as_the_pbx_delivers_them(tmp_path: Path) -> None:
    pcm16 = sine(440, 0.5, 16000)
    assert caller_audio(str(write_wav(tmp_path / "x.wav", pcm16))) == downsample_2x(pcm16)


class EchoEngine:
    """Says the reference back, except for one clip where it hears something else."""

    def __init__(self, heard: dict[int, str | None]) -> None:
        self.heard, self.rates = heard, []

    async def transcribe_pcm(self, pcm: bytes, rate: int) -> Any:
        self.rates.append(rate)
        text = self.heard[len(pcm)]
        return type("T", (), {"text": text, "status": "timeout" if text is None else "ok"})()


async def test_the_cer_is_measured_on_the_clips_with_a_reference(tmp_path: Path) -> None:
    a = VoiceClip(write_wav(tmp_path / "a.wav", sine(440, 1.0, 8000), rate=8000), "一二三四")
    b = VoiceClip(write_wav(tmp_path / "b.wav", sine(440, 0.5, 8000), rate=8000), "五六")
    c = VoiceClip(write_wav(tmp_path / "c.wav", sine(440, 0.25, 8000), rate=8000), None)
    engine = EchoEngine({16000: "一二三四", 8000: "五七", 4000: "x"})
    assert await measure_cer(engine, [a, b, c]) == pytest.approx(1 / 6)
    assert engine.rates == [8000, 8000]  # the clip without a reference is not decoded
    assert await measure_cer(engine, [c]) is None
    late = VoiceClip(write_wav(tmp_path / "late.wav", sine(440, 0.75, 8000), rate=8000), "七八九")
    engine = EchoEngine({16000: "一二三四", 12000: None})  # timed out: left out, not scored as all wrong
    assert await measure_cer(engine, [a, late]) == 0.0
    assert await measure_cer(EchoEngine({12000: None}), [late]) is None


async def test_without_clips_the_demo_says_so_in_the_log_and_on_the_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))  # an empty folder
    with caplog.at_level(logging.WARNING, logger="callcenter.demo.runner"):
        status, clips = await runner.prepare(EchoEngine({}))
    assert clips == () and status.clips == 0
    assert "no real speech found" in caplog.text and ENV_VAR in caplog.text
    assert status.banner.startswith("演示模式：没有找到真人语音片段")
    assert not any("a" <= ch.lower() <= "z" for ch in status.banner)


async def test_an_unreadable_clip_is_left_out_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "broken.wav").write_bytes(b"RIFF....")
    speech_like(tmp_path / "good.wav")
    (tmp_path / "good.txt").write_text("好", encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with caplog.at_level(logging.INFO, logger="callcenter.demo.runner"):
        status, clips = await runner.prepare(EchoEngine({16000: "好"}))
    assert [c.name for c in clips] == ["good.wav"] and "broken.wav left out" in caplog.text
    assert status.cer == 0.0 and "CER at 8 kHz 0.0%" in caplog.text
    assert "字错率 0.0%" in status.banner


def test_the_banner_says_what_was_measured_in_chinese() -> None:
    banner = DemoStatus(clips=5, references=5, cer=0.123).banner
    assert "5 段真人朗读录音" in banner and "字错率 12.3%" in banner
    assert not any("a" <= ch.lower() <= "z" for ch in banner)
    assert "未测量字错率" in DemoStatus(clips=2, references=0, cer=None).banner
    assert "未加载语音识别模型" in DemoStatus(clips=2, references=2, speech=False).banner
    assert "正在测量字错率" in DemoStatus(clips=2, references=2, measuring=True).banner
