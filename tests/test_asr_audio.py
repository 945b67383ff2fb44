"""WAV validation, mix-down and 8k<->16k resampling."""

from __future__ import annotations

from array import array
from pathlib import Path

from asr_helpers import rms, sine, write_wav

from callcenter.asr.audio import check_pcm, read_wav, to_mono
from callcenter.asr.resample import downsample_2x, upsample_2x
from callcenter.asr.text import cer, join_text, join_words


def test_good_wav_is_read(tmp_path: Path) -> None:
    audio = read_wav(write_wav(tmp_path / "tone.wav", sine(440, 1.0, 8000), rate=8000))
    assert audio.status == "ok" and audio.sample_rate == 8000 and audio.duration_s == 1.0


def test_bad_wavs_give_statuses(tmp_path: Path) -> None:
    (tmp_path / "zero.wav").write_bytes(b"")
    assert read_wav(tmp_path / "zero.wav").status == "invalid-audio"
    assert read_wav(tmp_path / "missing.wav").status == "invalid-audio"
    assert read_wav(write_wav(tmp_path / "empty.wav", b"")).status == "empty"
    good = write_wav(tmp_path / "good.wav", sine(440, 0.5, 16000)).read_bytes()
    (tmp_path / "header.wav").write_bytes(good[:30])
    assert read_wav(tmp_path / "header.wav").status == "invalid-audio"
    (tmp_path / "data.wav").write_bytes(good[: len(good) // 2])
    truncated = read_wav(tmp_path / "data.wav")
    assert truncated.status == "invalid-audio" and "truncated" in truncated.detail
    eight_bit = read_wav(write_wav(tmp_path / "u8.wav", bytes(8000), width=1))
    assert eight_bit.status == "invalid-audio" and "8 bit" in eight_bit.detail
    (tmp_path / "text.wav").write_text("not audio")
    assert read_wav(tmp_path / "text.wav").status == "invalid-audio"


def test_silence_is_detected_but_a_short_word_in_silence_is_not(tmp_path: Path) -> None:
    quiet = array("h", [3, -4, 2, 0] * 16000).tobytes()
    assert read_wav(write_wav(tmp_path / "quiet.wav", quiet)).status == "silent"
    with_word = bytes(64000) + sine(300, 0.2, 16000, 3000) + bytes(64000)
    assert check_pcm(with_word, 16000).status == "ok"


def test_pcm_checks() -> None:
    assert check_pcm(b"", 8000).status == "empty"
    assert check_pcm(b"\x00\x01\x02", 8000).status == "invalid-audio"
    assert check_pcm(sine(440, 0.5, 22050), 22050).status == "invalid-audio"


def test_stereo_is_mixed_down_and_other_rates_resampled(tmp_path: Path) -> None:
    assert to_mono(array("h", [100, 300, -50, -150]).tobytes(), 2) == array("h", [200, -100]).tobytes()
    left = array("h", sine(440, 1.0, 16000))
    stereo = array("h", [0] * (2 * len(left)))
    stereo[0::2], stereo[1::2] = left, left
    audio = read_wav(write_wav(tmp_path / "stereo.wav", stereo.tobytes(), channels=2))
    assert audio.status == "ok" and audio.pcm == left.tobytes()
    odd = read_wav(write_wav(tmp_path / "44k.wav", sine(440, 1.0, 44100), rate=44100))
    assert odd.status == "ok" and odd.sample_rate == 16000 and abs(len(odd.pcm) // 2 - 16000) <= 1
    assert 0.9 < rms(odd.pcm) / rms(sine(440, 1.0, 16000)) < 1.1
    assert read_wav(tmp_path / "44k.wav", allow_resample=False).status == "invalid-audio"


def test_downsampling_keeps_the_voice_band_and_removes_aliases() -> None:
    tone = sine(1000, 1.0, 16000)
    low = downsample_2x(tone)
    assert len(low) == len(tone) // 2
    assert 0.97 < rms(low[1000:-1000]) / rms(tone) < 1.03
    alias = downsample_2x(sine(6000, 1.0, 16000))  # would fold to 2 kHz without filtering
    assert rms(alias[1000:-1000]) / rms(tone) < 0.01  # at least 40 dB down


def test_upsampling_reconstructs_a_tone() -> None:
    up = array("h", upsample_2x(sine(1000, 1.0, 8000)))
    ideal = array("h", sine(1000, 1.0, 16000))
    assert len(up) == len(ideal)
    error = [a - b for a, b in zip(up[500:-500], ideal[500:-500], strict=True)]
    signal = sum(v * v for v in ideal[500:-500])
    assert sum(e * e for e in error) / signal < 1e-3  # SNR > 30 dB


def test_word_joining_and_cer() -> None:
    assert join_text("你好 世界") == "你好世界"
    assert join_words(["拨打", "12345", "ok", "热线"]) == "拨打12345 ok热线"
    assert join_words(["WiFi", "密码", "是", "abc", "123"]) == "WiFi密码是abc 123"
    assert cer([("你好，世界！", "你好 世界"), ("一二三", "一三")]) == 1 / 7
