"""Shared builders for domain tests: a policy with the shipped presets and short command helpers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from callcenter.policy import load_builtin_presets
from worksheet.calendar import WorkingCalendar
from worksheet.deadlines import Policy
from worksheet.intake import NewOrder
from worksheet.lifecycle import create_order
from worksheet.model import Actor, Category, Channel, Enterprise, Role, Urgency, WorkOrder

SH = ZoneInfo("Asia/Shanghai")
AGENT = Actor("agent1", Role.AGENT)
SUPERVISOR = Actor("boss", Role.SUPERVISOR)
SYSTEM = Actor("system", Role.SYSTEM)
PRESETS = load_builtin_presets()


def handler(unit: str = "zjj") -> Actor:
    return Actor(f"h-{unit}", Role.UNIT_HANDLER, unit)


def policy(preset: str = "yicheng-2021", calendar: WorkingCalendar | None = None) -> Policy:
    return Policy(calendar=calendar or WorkingCalendar(), presets=PRESETS, default_preset=preset)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def new_order(
    now: datetime, pol: Policy, *, category: Category = Category.HELP, urgency: Urgency = Urgency.NORMAL,
    draft: bool = False, number: str = "20261123-0001", name: str = "涪城区华翔物流有限公司",
    content: str = "华翔路道路施工，附近企业货物无法运出。绕行创业路时路口限高，不能通过。",
) -> WorkOrder:
    spec = NewOrder(
        channel=Channel.PHONE, category=category, urgency=urgency,
        enterprise=Enterprise(name, "91350100M000100Y43", "王经理", "13800138000"),
        subject="道路施工影响货物运输", content=content, received_at=now, draft=draft,
    )
    order, _ = create_order(spec, number, AGENT, now, pol)
    return order
