"""Seed a caller's history for orders_bench.py's same-caller case.

    python bench/orders_seed.py DATABASE_URL COUNT PHONE NAME

Migrates the database, then stores COUNT registered orders from one phone and enterprise, spread
over the 20 days before today (inside the duplicate window), in transactions of 500. Runs against
whichever `callcenter` is on PYTHONPATH, so `--compare` seeds each revision with its own code.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from callcenter.db.direct import run_write
from callcenter.db.engine import create_engine
from callcenter.db.migrate import upgrade
from callcenter.db.orders import OrderRepository
from callcenter.policy import load_builtin_presets
from worksheet.calendar import WorkingCalendar
from worksheet.deadlines import Policy
from worksheet.intake import NewOrder
from worksheet.lifecycle import create_order
from worksheet.model import Actor, Category, Channel, Enterprise, Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
MATTERS = ["园区污水管网堵塞，厂区积水影响生产", "企业用电增容申请已提交一个月仍未答复", "厂房建设规划许可审批进度缓慢"]


async def seed(url: str, count: int, phone: str, name: str) -> None:
    await upgrade(url)
    engine = create_engine(url)
    policy = Policy(calendar=WorkingCalendar(), presets=load_builtin_presets(), default_preset="yicheng-2021")
    agent = Actor("seed", Role.AGENT)
    start = datetime.now(UTC) - timedelta(days=20)
    step = timedelta(days=19) / count
    items = []
    for i in range(count):
        at = start + step * i
        spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise(name, phone=phone),
                        subject="反映问题", content=f"{MATTERS[i % len(MATTERS)]}（第{i}次来电）", received_at=at)
        # Numbers of past days (100 a day at most here), so today's counter is untouched.
        number = f"{at.astimezone(SHANGHAI):%Y%m%d}-S{i:05d}"
        items.append(create_order(spec, number, agent, at, policy))
    for part in range(0, count, 500):
        await run_write(engine, OrderRepository._insert_many, items[part : part + 500])
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(seed(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]))
