"""The pure parts of the load benches (bench/load_common.py, bench/mixed_traffic.py): traffic mix,
lifecycle steps, percentiles, the login-overlap split, RSS summary and /proc parsing."""

from __future__ import annotations

import os
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import load_common as lc  # noqa: E402
import mixed_traffic as mt  # noqa: E402


def test_mix_is_seventy_twenty_ten_with_logins_among_the_reads() -> None:
    assert sum(mt.MIX.values()) == 100
    assert sum(mt.MIX[k] for k in (*mt.READS, "login")) == 70
    assert (mt.MIX["action"], mt.MIX["create"]) == (20, 10)
    rng = random.Random(1)
    drawn = Counter(mt.choose_kind(rng) for _ in range(20_000))
    for kind, weight in mt.MIX.items():
        assert abs(drawn[kind] / 20_000 - weight / 100) < 0.015, (kind, drawn[kind])


def test_lifecycle_walk_reaches_closed_with_the_right_roles() -> None:
    rng = random.Random(3)
    units = ["a", "b", "c"]
    seen: Counter[tuple[str, str]] = Counter()
    for i in range(300):
        order = mt.Tracked(f"n{i}")
        for _ in range(20):
            step = mt.next_step(order, rng, units)
            seen[(step.action, step.role)] += 1
            before = order.unit
            mt.advance(order, step)
            if step.action == "redispatch":
                assert order.unit != before  # sent on to another unit
            if order.status == "closed":
                break
        assert order.status == "closed", order
    assert set(seen) == {("dispatch", "agent"), ("accept", "unit"), ("return", "unit"), ("redispatch", "agent"),
                         ("request-extension", "unit"), ("decide-extension", "supervisor"), ("reply", "unit"),
                         ("check", "supervisor"), ("callback-result", "agent")}
    assert seen[("return", "unit")] <= 300 and seen[("request-extension", "unit")] <= 300  # once per order at most
    with pytest.raises(ValueError):
        mt.next_step(mt.Tracked("x", status="closed"), rng, units)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert lc.percentile(values, 50) == 50.0
    assert lc.percentile(values, 99) == 99.0
    assert lc.percentile(values, 100) == 100.0
    assert lc.percentile([7.0], 99) == 7.0
    assert lc.percentile([1.0, 2.0, 3.0], 0) == 1.0
    with pytest.raises(ValueError):
        lc.percentile([], 50)


def test_requests_are_split_by_whether_a_login_was_in_flight() -> None:
    reqs = [mt.Request("login", 1.0, 2.0, 201), mt.Request("list", 1.5, 1.6, 200),
            mt.Request("detail", 0.0, 1.1, 200), mt.Request("create", 2.0, 2.5, 201),
            mt.Request("search", 3.0, 3.2, 500)]
    during, apart = mt.overlaps_login(reqs, kinds=("list", "detail", "search", "create"))
    assert sorted(during) == pytest.approx([0.1, 1.1])
    assert sorted(apart) == pytest.approx([0.2, 0.5])  # touching the login's end is not overlapping
    assert mt.overlaps_login(reqs) == ([pytest.approx(0.1), pytest.approx(1.1)], [pytest.approx(0.2)])  # reads
    assert mt.is_error(500) and mt.is_error(409) and not mt.is_error(201)
    assert not mt.is_error(409, frozenset({409}))
    table = {row[0]: row for row in mt.latency_table(reqs)}
    assert table["reads (all)"][1] == 3 and table["login"][1] == 1 and "action" not in table


def test_rss_summary_tells_flat_from_growing() -> None:
    # A login's 64 MiB argon2 buffer shows as a lone spike (260), even in the last sample: still flat.
    flat = lc.rss_summary([(0, 100), (5, 180), (10, 200), (20, 205), (30, 198), (40, 260), (50, 201), (60, 260)],
                          warmup_s=10)
    assert (flat.after_warmup, flat.end, flat.peak) == (200, 201, 260) and flat.flat
    growing = lc.rss_summary([(0, 100), (10, 200), (20, 240), (30, 260)], warmup_s=10)
    assert growing.growth == pytest.approx(0.3) and not growing.flat
    with pytest.raises(ValueError):
        lc.rss_summary([], 1)


def test_proc_readers_parse_stat_lines_with_odd_command_names(tmp_path: Path) -> None:
    def stat(pid: int, ppid: int, utime: int, stime: int, rss_pages: int) -> None:
        (tmp_path / str(pid)).mkdir()
        fields = ["S", str(ppid)] + ["0"] * 9 + [str(utime), str(stime)] + ["0"] * 8 + [str(rss_pages)]
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (zhitong (w) 1) " + " ".join(fields) + "\n")

    stat(10, 1, 100, 50, 1000)
    stat(11, 10, 20, 30, 500)
    stat(12, 11, 1, 1, 1)
    stat(20, 1, 999, 999, 999)
    (tmp_path / "self").mkdir()
    assert lc.process_tree(10, tmp_path) == [10, 11, 12]
    assert lc.cpu_seconds([10, 11, 99], tmp_path) == pytest.approx(200 / lc.CLK_TCK)
    assert lc.rss_bytes([10, 11], tmp_path) == 1500 * lc.PAGE_SIZE
    assert os.getpid() in lc.process_tree(os.getpid())  # the real /proc too
