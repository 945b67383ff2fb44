"""Observers (OrderService, the supervision sweep) that tell an enterprise's liaison officer:
a notice on their page always, an SMS when they have a mobile number, an @-mention in the
liaison group's WeCom robot when one is configured and they have a WeCom account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from callcenter.sms.services import SmsService
from callcenter.wecom.notices import latest_events
from callcenter.wecom.notifier import RobotNotifier
from callcenter.wecom.robots import LIAISON_TARGET
from worksheet.model import Event, WorkOrder

from .notices import KINDS, liaison_event
from .repository import LiaisonRepository


class LiaisonTriggers:
    def __init__(self, repo: LiaisonRepository, sms: SmsService, robots: RobotNotifier,
                 clock: Callable[[], datetime]) -> None:
        self.repo = repo
        self.sms = sms
        self.robots = robots
        self.clock = clock

    async def on_order_changed(self, order: WorkOrder) -> None:
        for event in latest_events(order):
            await self.on_event(order, event)

    async def on_event(self, order: WorkOrder, event: Event) -> None:
        planned = liaison_event(order, event)
        if planned is None:
            return
        liaison = await self.repo.liaison_for(order.enterprise)
        if liaison is None:
            return
        await self.repo.add_notice(planned.key, liaison.user_id, order.number, planned.kind,
                                   planned.page_text(order), self.clock())
        # Each channel is keyed by the event: a repeat (reconcile, retry) sends nothing twice.
        if liaison.mobile:
            await self.sms.queue(liaison.mobile, "liaison_notice",
                                 {"order_no": order.number, "event": KINDS[planned.kind][1]},
                                 key=f"{planned.key}:sms", order_number=order.number)
        if liaison.wecom_userid:
            body = {"msgtype": "text", "text": {"content": planned.wecom_text(order),
                                                "mentioned_list": [liaison.wecom_userid]}}
            await self.robots.queue(LIAISON_TARGET, f"{planned.key}:wecom", body, order_number=order.number)
