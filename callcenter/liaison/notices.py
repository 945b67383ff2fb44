"""Which order events a liaison officer hears of, and in what words (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from worksheet.model import Event, Status, WorkOrder

# kind → (the page's sentence, the SMS template's {event} words)
KINDS = {
    "new": ("新工单已受理", "已受理"),
    "yellow": ("已亮黄灯：承办单位超期未反馈", "已亮黄灯（超期）"),
    "red": ("已亮红灯：超期仍未反馈", "已亮红灯（超期）"),
}


@dataclass(frozen=True)
class LiaisonEvent:
    kind: str
    key: str  # once per order event

    def page_text(self, order: WorkOrder) -> str:
        return f"{order.enterprise.name}的工单 {order.number}（{order.subject[:60]}）{KINDS[self.kind][0]}。"

    def wecom_text(self, order: WorkOrder) -> str:
        return f"【帮扶提醒】{self.page_text(order)}请关注并协助企业。"


def liaison_event(order: WorkOrder, event: Event) -> LiaisonEvent | None:
    key = f"{order.number}:e{event.seq}:liaison"
    # A new order: registered when created or when a draft is confirmed (as the 受理 SMS).
    if event.to_status == Status.REGISTERED and event.type in ("create", "confirm"):
        return LiaisonEvent("new", key)
    if event.type == "issue-card" and event.data.get("color") in ("yellow", "red"):
        return LiaisonEvent(str(event.data["color"]), key)
    return None
