"""``zhitong transcribe FILE... [--json] [--model PATH]``: offline transcription of WAV files.

Per file: text, words (``word,start,end,conf``), duration_s, rtf — JSON lines with ``--json``, readable
text otherwise. A bad file reports its status and the batch goes on. Exit 0 when every file is ``ok``,
1 when some are not, 2 when the model is missing or damaged. A progress bar goes to stderr for batches.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from callcenter.asr.engine import MODES, AsrEngine
from callcenter.asr.models import DEFAULT_MODEL_NAME, ModelError, find_model
from callcenter.asr.results import Transcript


class ProgressBar:
    """``[#####.....] 3/10 00:04`` redrawn in place on a terminal; one line per step otherwise."""

    def __init__(self, total: int, stream: TextIO, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done = 0
        self.started = time.monotonic()
        self.tty = stream.isatty()

    def advance(self, label: str = "") -> None:
        self.done += 1
        filled = self.width * self.done // max(self.total, 1)
        elapsed = int(time.monotonic() - self.started)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} {elapsed // 60:02d}:{elapsed % 60:02d} {label}"
        self.stream.write(("\r" + line[:120].ljust(120)) if self.tty else line + "\n")
        if self.tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def format_text(path: Path, transcript: Transcript) -> str:
    rtf = "-" if transcript.rtf is None else f"{transcript.rtf:.3f}"
    lines = [f"== {path}  status={transcript.status}  duration_s={transcript.duration_s:.2f}  rtf={rtf}"]
    if transcript.detail:
        lines.append(f"detail: {transcript.detail}")
    if transcript.ok:
        lines.append(f"text: {transcript.text}")
        lines.append("words: " + " ".join(f"{w.word},{w.start:.2f},{w.end:.2f},{w.conf:.2f}" for w in transcript.words))
    return "\n".join(lines)


def add_transcribe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="WAV files (8/16 kHz, 16-bit PCM)")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    parser.add_argument("--model", type=Path, help="model directory (else $ZHITONG_ASR_MODEL, asr_models/, ../shared/)")
    parser.add_argument("--model-name", default=DEFAULT_MODEL_NAME, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, default="auto", help="decode in threads or processes")
    parser.add_argument("--workers", type=int, help="parallel decoders (default: CPU count)")


async def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    engine = AsrEngine.load(find_model(args.model, args.model_name), mode=args.mode, workers=args.workers)
    bar = ProgressBar(len(args.files), err) if len(args.files) > 1 else None
    failures = 0
    try:
        tasks = [asyncio.ensure_future(engine.transcribe_file(path)) for path in args.files]
        for path, task in zip(args.files, tasks, strict=True):  # results in input order
            transcript = await task
            failures += not transcript.ok
            if args.json:
                out.write(json.dumps({"file": str(path), **transcript.to_json()}, ensure_ascii=False) + "\n")
            else:
                out.write(format_text(path, transcript) + "\n")
            out.flush()
            if bar:
                bar.advance(path.name)
    finally:
        await engine.close()
    return 1 if failures else 0


def transcribe_command(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        return asyncio.run(_run(args, out, err))
    except ModelError as exc:
        err.write(json.dumps({"error_id": exc.error_id, "detail": str(exc)}, ensure_ascii=False) + "\n")
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhitong transcribe", description=__doc__)
    add_transcribe_arguments(parser)
    return transcribe_command(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
