"""Benchmark: the supervision sweep over 100,000 open orders (target < 1 s).

    python bench/sweep_bench.py [--orders 100000]

Builds dispatched orders spread over two months of receipts, some already
carrying a yellow card, then times `worksheet.supervision.sweep` (pure, no I/O).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.policy import load_builtin_presets  # noqa: E402
from worksheet import commands as c  # noqa: E402
from worksheet.calendar import WorkingCalendar  # noqa: E402
from worksheet.deadlines import Policy  # noqa: E402
from worksheet.intake import NewOrder  # noqa: E402
from worksheet.lifecycle import create_order, handle  # noqa: E402
from worksheet.model import Actor, Card, CardColor, Category, Channel, Enterprise, Role  # noqa: E402
from worksheet.supervision import sweep  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")


def build(n: int, policy: Policy) -> list:  # type: ignore[type-arg]
    agent = Actor("agent", Role.AGENT)
    start = datetime(2026, 10, 1, 9, 0, tzinfo=SH)
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise("某公司"),
                    subject="事项", content="内容", received_at=start)
    template, _ = create_order(spec, "20261001-0001", agent, start, policy)
    orders = []
    for i in range(n):
        when = start + timedelta(minutes=(i * 37) % (60 * 24 * 60))
        o = replace(template, number=f"B{i:07d}", received_at=when)
        o, _ = handle(c.Dispatch(actor=agent, lead_unit=f"u{i % 26}"), o, when, policy)
        if i % 5 == 0:  # some already have their yellow card
            o = replace(o, cards=(Card(CardColor.YELLOW, f"u{i % 26}", when + timedelta(days=12), o.cycle, "handling"),))
        orders.append(o)
    return orders


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=100_000)
    args = ap.parse_args()
    policy = Policy(WorkingCalendar(), load_builtin_presets(), "yicheng-2021")
    orders = build(args.orders, policy)
    now = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
    for label in ("cold", "warm"):
        if label == "cold":
            policy = Policy(WorkingCalendar(), load_builtin_presets(), "yicheng-2021")
        t0 = time.perf_counter()
        cards = sweep(orders, now, policy)
        elapsed = time.perf_counter() - t0
        print(f"sweep ({label} calendar cache): {len(orders)} open orders, {len(cards)} cards, {elapsed:.3f} s")


if __name__ == "__main__":
    main()
