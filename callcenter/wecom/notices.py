"""Which order events a unit's WeCom group hears of, and the robot's markdown for them (pure).

New dispatches (lead and co-units), returns (the unit that returned it, with the reason), yellow
and red cards (超期: the unit missed its deadline). Texts carry the order number, subject and
enterprise, never a phone number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from worksheet.model import Event, Status, WorkOrder

MAX_MARKDOWN_BYTES = 4096  # WeCom's limit for a markdown message
CARD_WORDS = {"yellow": "黄灯督办（已超期）", "red": "红灯督办（超期未反馈）"}


@dataclass(frozen=True)
class RobotNotice:
    unit: str
    key: str
    body: dict[str, Any]


def markdown(title: str, lines: list[str]) -> dict[str, Any]:
    text = "\n".join([f"**{title}**", *(f"> {line}" for line in lines)])
    while len(text.encode()) > MAX_MARKDOWN_BYTES:
        text = text[: len(text) - 100] + "…"
    return {"msgtype": "markdown", "markdown": {"content": text}}


def latest_events(order: WorkOrder) -> Iterator[Event]:
    """The events the last command stored (one command can store several, e.g. create + flag)."""
    if order.history:
        last = order.history[-1].at
        yield from (event for event in order.history if event.at == last)


def plain(text: str, limit: int) -> str:
    """A citizen's words inside the robot's markdown: no markup, no ``<@all>``-style mentions, one line."""
    text = " ".join(text.split())[:limit]
    return text.translate(str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "*": "＊", "`": "｀", "#": "＃"}))


def _about(order: WorkOrder) -> list[str]:
    return [f"工单号：{order.number}", f"事项：{plain(order.subject, 80)}", f"企业：{plain(order.enterprise.name, 60)}"]


def notices_for_event(order: WorkOrder, event: Event) -> list[RobotNotice]:
    key = f"{order.number}:e{event.seq}"
    if event.type in ("dispatch", "redispatch") and event.to_status == Status.DISPATCHED:
        # The units of this dispatch (a later redispatch may have changed the order's).
        lead = event.data.get("lead_unit")
        units = [u for u in (lead, *event.data.get("co_units", ())) if u]
        return [RobotNotice(u, f"{key}:dispatch:{u}", markdown(
            "新派单" if u == lead else "新派单（协办）", [*_about(order), "请及时签收办理。"]))
            for u in dict.fromkeys(units)]
    if event.type == "return" and order.lead_unit:
        reason = plain(str(event.data.get("reason", "")), 200)
        return [RobotNotice(order.lead_unit, f"{key}:return", markdown(
            "工单已退回", [*_about(order), f"退回理由：{reason}"]))]
    if event.type == "issue-card":
        color, unit = str(event.data.get("color")), str(event.data.get("unit", ""))
        if unit and color in CARD_WORDS:
            return [RobotNotice(unit, f"{key}:card", markdown(CARD_WORDS[color], [*_about(order), plain(event.note, 200)]))]
    return []
