"""bench/callbacks_bench.py: its core runs (tiny, SQLite, two worker processes) and its analysis
catches a double dial."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))  # spawned workers inherit sys.path, so they can import the module too

import callbacks_bench as cb  # noqa: E402


def test_analysis_reports_double_missing_and_unexpected_dials() -> None:
    calls = [("A", "cb-1", 1, "a1"), ("B", "cb-2", 2, "b1"), ("A", "cb-3", 2, "a2"), ("X", "cb-4", 1, "x1")]
    result = cb.analyse(["A", "B", "C"], calls)
    assert result["double"] == ["A"]
    assert result["missing"] == ["C"]
    assert result["unexpected"] == ["X"]
    assert result["by_pid"] == {1: 2, 2: 2}


async def test_two_workers_dial_every_job_once_on_sqlite() -> None:
    args = argparse.Namespace(db="sqlite", jobs=40, workers=2, batch=4, dial_ms=0.0, database_url="",
                              keep=False, quiet=True)
    result = await cb.run(args)
    assert result["dials"] == 40
    assert not result["double"] and not result["missing"] and not result["unexpected"]
    assert result["problems"] == []
    assert sum(result["by_pid"].values()) == 40 and len(result["workers"]) == 2
