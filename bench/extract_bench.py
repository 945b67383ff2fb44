"""Per-field accuracy, reliability and speed of the draft extractor on the tuning and validation splits.

    python bench/extract_bench.py [--verbose] [--json] [--dev tests/data/drafts_dev.jsonl]
                                  [--tuning tests/data/drafts_tuning*.jsonl]
                                  [--validation tests/data/drafts_validation.jsonl] [--directory CSV]

tuning = the old dev set plus the tuning files: rules and models may be fitted on it.
validation = never fitted on (tests/data/README.md). Prints per-field accuracy side by side,
milliseconds per transcript, the reliability table (confidence bucket -> count, accuracy) and the
precision of the fields the draft marks confident, per split. A draft that does not say which
fields are confident is judged by the fill thresholds of callcenter/speech/drafts.py (what the
pipeline writes into a draft unasked). --json prints one JSON object instead of tables; with
--verbose, every miss (split, id, field, expected, got) goes to stderr first.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callcenter.enterprises.loader import directory_from_csv  # noqa: E402
from callcenter.enterprises.service import DEMO_DIRECTORY, load_catalogue  # noqa: E402
from callcenter.speech.drafts import FILL_THRESHOLD  # noqa: E402
from worksheet.extract.evaluate import OPTIONAL_FIELDS, SCORED_FIELDS, Evaluation, evaluate  # noqa: E402

DATA = ROOT / "tests" / "data"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(records: list[dict[str, Any]], directory: Any, catalogue: Any) -> tuple[Evaluation, float]:
    started = time.perf_counter()
    result = evaluate(records, directory=directory, catalogue=catalogue, thresholds=FILL_THRESHOLD)
    return result, 1000 * (time.perf_counter() - started) / max(1, result.total)


def summary(result: Evaluation, ms: float) -> dict[str, Any]:
    return {"transcripts": result.total, "accuracy": result.accuracy(), "ms_per_transcript": round(ms, 2),
            "reliability": result.reliability(), "confident": result.confident_precision()}


def tables(splits: dict[str, dict[str, Any]]) -> str:
    names = list(splits)
    lines = ["field".ljust(16) + "".join(n.rjust(12) for n in names)]
    for f in SCORED_FIELDS + OPTIONAL_FIELDS:
        cells = [splits[n]["accuracy"].get(f) for n in names]
        lines.append(f.ljust(16) + "".join(("-" if c is None else f"{c:.3f}").rjust(12) for c in cells))
    lines.append("transcripts".ljust(16) + "".join(str(splits[n]["transcripts"]).rjust(12) for n in names))
    lines.append("ms/transcript".ljust(16) + "".join(f"{splits[n]['ms_per_transcript']:.2f}".rjust(12) for n in names))
    for n in names:
        s = splits[n]
        lines += ["", f"reliability ({n}): confidence bucket -> fields, accuracy"]
        lines += [f"  {r['bucket']}  {r['count']:5d}  {r['accuracy']:.3f}" for r in s["reliability"]]
        c = s["confident"]
        shown = "-" if c["precision"] is None else f"{c['precision']:.3f}"
        lines.append(f"confident-field precision ({n}): {shown} over {c['count']} fields "
                     f"({c['share_of_fields']:.0%} of all scored fields)")
        lines += [f"  {f:16} {v['count']:5d}  {v['precision']:.3f}" for f, v in c["per_field"].items()]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dev", default=str(DATA / "drafts_dev.jsonl"), help="old dev set (part of tuning)")
    p.add_argument("--tuning", nargs="*", default=[str(f) for f in sorted(DATA.glob("drafts_tuning*.jsonl"))],
                   help="tuning files (default: every tests/data/drafts_tuning*.jsonl; absent ones skipped)")
    p.add_argument("--validation", default=str(DATA / "drafts_validation.jsonl"), help="skipped when absent")
    p.add_argument("--directory", default=str(DEMO_DIRECTORY))
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    args = p.parse_args()
    tuning = read_jsonl(Path(args.dev))
    for extra in args.tuning:
        if Path(extra).is_file():
            tuning += read_jsonl(Path(extra))
    sets = {"tuning": tuning}
    if Path(args.validation).is_file():
        sets["validation"] = read_jsonl(Path(args.validation))
    directory, catalogue = directory_from_csv(args.directory), load_catalogue()
    evaluate(tuning[:1], directory=directory, catalogue=catalogue)  # warm up (pinyin dictionaries)
    splits: dict[str, dict[str, Any]] = {}
    for name, records in sets.items():
        result, ms = run(records, directory, catalogue)
        if args.verbose:
            for miss in result.misses:
                print("miss", name, *(json.dumps(x, ensure_ascii=False) for x in miss), file=sys.stderr)
        splits[name] = summary(result, ms)
    print(json.dumps(splits, ensure_ascii=False) if args.json else tables(splits))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
