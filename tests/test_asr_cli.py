"""`zhitong transcribe` on a real clip and a bad file."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

from asr_helpers import LONG_CLIP

from callcenter.asr.models import DEFAULT_MODEL_NAME
from callcenter.asr.transcribe import add_transcribe_arguments, transcribe_command


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_transcribe_arguments(parser)
    return parser.parse_args(argv)


def test_json_batch_with_a_bad_file(shared_dir: Path, tmp_path: Path) -> None:
    model = shared_dir / "asr_models" / DEFAULT_MODEL_NAME
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00")
    out, err = io.StringIO(), io.StringIO()
    code = transcribe_command(parse([str(shared_dir / "asr_testset" / LONG_CLIP), str(bad), "--json",
                                     "--model", str(model), "--mode", "thread"]), out, err)
    assert code == 1
    good, broken = (json.loads(line) for line in out.getvalue().splitlines())
    assert good["status"] == "ok" and good["text"] and good["rtf"] > 0 and good["duration_s"] > 9
    assert all(len(w) == 4 for w in good["words"]) and good["file"].endswith(LONG_CLIP)
    assert broken["status"] == "invalid-audio" and broken["text"] == "" and broken["detail"]
    assert "2/2" in err.getvalue()


def test_text_output_and_exit_codes(shared_dir: Path, tmp_path: Path) -> None:
    model = shared_dir / "asr_models" / DEFAULT_MODEL_NAME
    out = io.StringIO()
    code = transcribe_command(parse([str(shared_dir / "asr_testset" / LONG_CLIP), "--model", str(model),
                                     "--mode", "thread"]), out, io.StringIO())
    assert code == 0
    text = out.getvalue()
    assert "status=ok" in text and "text: " in text and "words: " in text and "rtf=" in text
    err = io.StringIO()
    assert transcribe_command(parse(["x.wav", "--model", str(tmp_path / "none")]), io.StringIO(), err) == 2
    assert json.loads(err.getvalue())["error_id"] == "asr-model-missing"
