"""Per-field accuracy (and speed) of the draft extractor over the dev set.

    python bench/extract_bench.py [--verbose] [--dev tests/data/drafts_dev.jsonl] [--directory CSV]

Prints one JSON object: per-field accuracy, transcripts, milliseconds per transcript;
with --verbose, every miss (id, field, expected, got) on stderr first.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callcenter.enterprises.loader import directory_from_csv  # noqa: E402
from callcenter.enterprises.service import DEMO_DIRECTORY, load_catalogue  # noqa: E402
from worksheet.extract.evaluate import evaluate  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dev", default=str(ROOT / "tests" / "data" / "drafts_dev.jsonl"))
    p.add_argument("--directory", default=str(DEMO_DIRECTORY))
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    records = [json.loads(line) for line in Path(args.dev).read_text(encoding="utf-8").splitlines() if line.strip()]
    directory, catalogue = directory_from_csv(args.directory), load_catalogue()
    evaluate(records[:1], directory=directory, catalogue=catalogue)  # warm up (pinyin dictionaries)
    started = time.perf_counter()
    result = evaluate(records, directory=directory, catalogue=catalogue)
    elapsed = time.perf_counter() - started
    if args.verbose:
        for miss in result.misses:
            print("miss", *(json.dumps(x, ensure_ascii=False) for x in miss), file=sys.stderr)
    print(json.dumps({"transcripts": result.total, "accuracy": result.accuracy(),
                      "ms_per_transcript": round(1000 * elapsed / max(1, result.total), 2)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
