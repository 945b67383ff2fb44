"""Render the IVR prompts to 8 kHz 16-bit mono WAV files with espeak-ng (recorded prompts win).

``zhitong prompts build [--out DIR] [--recorded DIR] [--overwrite]`` writes
``<out>/zhitong/<prompt-id>.wav`` for every ``[prompts]`` text of the menus and every word of
:data:`ivr.flow.say.SAY_WORDS`. Point Asterisk's sounds directory at ``<out>`` (default
``/var/lib/asterisk/sounds``) so ``STREAM FILE zhitong/<prompt-id>`` finds them. A file
``<recorded>/<prompt-id>.wav`` (a studio recording) replaces the generated prompt.
"""

from __future__ import annotations

import argparse
import math
import operator
import os
import shutil
import subprocess
import tempfile
import wave
from array import array
from collections.abc import Iterable
from pathlib import Path

from ivr.flow import load_menu, menu_path
from ivr.flow.say import say_prompts

RATE = 8000
BEEP_ID = "beep"
VOICE = "cmn-latn-pinyin"  # the plain "cmn" voice reads Chinese characters as English letters
DEFAULT_MENUS = ("hotline", "survey")
DEFAULT_OUT = os.environ.get("ZT_SOUNDS_DIR", "/var/lib/asterisk/sounds")


class PromptBuildError(RuntimeError):
    error_id = "prompt-build-failed"


def prompt_texts(menu_paths: Iterable[str | Path]) -> dict[str, str]:
    texts = say_prompts()
    for path in menu_paths:
        texts.update(load_menu(path).prompts)
    return texts


def build_prompts(
    menu_paths: Iterable[str | Path],
    out_dir: str | Path,
    *,
    espeak: str = "espeak-ng",
    overwrite: bool = False,
    recorded_dir: str | Path | None = None,
) -> list[Path]:
    """Write the prompt WAVs; returns the files written (existing ones are kept unless ``overwrite``)."""
    target = Path(out_dir) / "zhitong"
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for prompt_id, text in sorted(prompt_texts(menu_paths).items()):
        out = target / f"{prompt_id}.wav"
        recorded = Path(recorded_dir) / f"{prompt_id}.wav" if recorded_dir else None
        if recorded is not None and recorded.is_file():
            rate, samples = read_wav(recorded)
            write_wav(out, resample(samples, rate, RATE) if rate != RATE else samples)
        elif overwrite or not out.exists():
            write_wav(out, resample(*_speak(espeak, text), RATE))
        else:
            continue
        written.append(out)
    beep = target / f"{BEEP_ID}.wav"
    if overwrite or not beep.exists():
        write_wav(beep, beep_tone())
        written.append(beep)
    return written


def beep_tone(hz: float = 1000.0, seconds: float = 0.25) -> array:
    """The tone before a message is recorded. Ours, so recording never depends on the stock
    Asterisk sound "beep" (core sounds are a separate download that may be missing)."""
    n = int(RATE * seconds)
    fade = RATE // 100
    return array("h", (int(8000 * math.sin(2 * math.pi * hz * i / RATE) * min(1.0, i / fade, (n - i) / fade))
                       for i in range(n)))


def _speak(espeak: str, text: str) -> tuple[array, int]:
    exe = shutil.which(espeak)
    if exe is None:
        raise PromptBuildError(f"{espeak} not found: install the Debian/Ubuntu package 'espeak-ng'")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "out.wav"
        run = subprocess.run([exe, "-v", VOICE, "-w", str(wav), text], capture_output=True, text=True)
        if run.returncode != 0 or not wav.is_file():
            raise PromptBuildError(f"{espeak} failed for {text!r}: {run.stderr.strip()}")
        rate, samples = read_wav(wav)
    return samples, rate


def read_wav(path: Path) -> tuple[int, array]:
    """(rate, 16-bit samples) of a mono 16-bit PCM WAV; anything else is refused."""
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise PromptBuildError(f"{path}: need mono 16-bit PCM, got {w.getnchannels()} ch x {w.getsampwidth() * 8} bit")
        samples = array("h", w.readframes(w.getnframes()))
        return w.getframerate(), samples


def write_wav(path: Path, samples: array) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())


def resample(samples: array, src: int, dst: int, half_taps: int = 16) -> array:
    """Windowed-sinc resampler (Hann window, cut-off just below the lower Nyquist frequency)."""
    if src == dst:
        return array("h", samples)
    g = math.gcd(src, dst)
    up, down = dst // g, src // g
    cutoff = 0.45 * min(src, dst) / src  # in cycles per input sample
    phases = []
    for p in range(up):  # output n sits at input position n*down/up = i0 + p/up
        frac = p / up
        taps = []
        for k in range(-half_taps + 1, half_taps + 1):
            x = k - frac
            sinc = 2 * cutoff * (math.sin(2 * math.pi * cutoff * x) / (2 * math.pi * cutoff * x) if x else 1.0)
            taps.append(sinc * (0.5 + 0.5 * math.cos(math.pi * x / half_taps)))
        total = sum(taps)
        phases.append([t / total for t in taps])
    padded = [0] * half_taps + list(samples) + [0] * half_taps
    out = array("h")
    for n in range(len(samples) * up // down):
        i0, p = divmod(n * down, up)
        window = padded[i0 + 1 : i0 + 2 * half_taps + 1]
        value = sum(map(operator.mul, phases[p], window))
        out.append(max(-32768, min(32767, round(value))))
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=DEFAULT_OUT, help="sounds directory (files go to <out>/zhitong/)")
    parser.add_argument("--recorded", default=None, help="directory of recorded <prompt-id>.wav overrides")
    parser.add_argument("--overwrite", action="store_true", help="regenerate prompts that already exist")
    parser.add_argument("--espeak", default="espeak-ng", help="espeak-ng executable")


def prompts_build_command(args: argparse.Namespace) -> int:
    menus = [menu_path(name) for name in DEFAULT_MENUS]
    try:
        written = build_prompts(menus, args.out, espeak=args.espeak, overwrite=args.overwrite, recorded_dir=args.recorded)
    except PromptBuildError as exc:
        print(f"error: {exc}")
        return 1
    print(f"{len(written)} prompt file(s) written to {Path(args.out) / 'zhitong'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhitong prompts build", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return prompts_build_command(parser.parse_args(argv))
