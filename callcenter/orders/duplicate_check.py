"""When orders are checked for possible duplicates (疑似重复), and how a finding is stored.

A draft is created before its transcript or OCR text fills it (a voice message is "来电 138****",
a fax is "传真 未知号码" until then), so a check at creation alone misses nearly every duplicate.
The check runs again whenever what it matches on changes — a draft filled by the speech or fax
pipeline, an agent's edit — and at confirmation. A finding is an event on the order that found
it, and the store links it back to each order it may duplicate in the same transaction
(callcenter.db.tables.duplicate_links), so whichever an agent opens first shows it, and a flood of
messages about one matter does not rewrite the same earlier orders on every create. Numbers a
person dismissed are never flagged again. Only drafts' commands re-check: other commands add no query.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from callcenter.db.orders import OrderRepository
from worksheet import commands as c
from worksheet.deadlines import Policy
from worksheet.duplicates import possible_duplicates
from worksheet.lifecycle import handle
from worksheet.model import OPEN_STATUSES, Actor, Event, Role, Status, WorkOrder

SYSTEM = Actor("system", Role.SYSTEM)
CANDIDATE_STATUSES = [s.value for s in OPEN_STATUSES | {Status.DRAFT}]


def matched_on(order: WorkOrder) -> tuple[str, str | None, str, str]:
    """What duplicates are matched on: the enterprise's name or phone, then the text."""
    return order.enterprise.name, order.enterprise.phone, order.subject, order.content


def checked_at_creation(draft: bool, actor: Actor) -> bool:
    """A draft the system makes (a voice message, a call, a fax, an SMS) holds placeholder text
    ("来电 138****8000 的语音留言…") until its transcript or OCR fills it: matched then, two messages
    from one caller would stay flagged whatever they turn out to say. It is checked when filled."""
    return not (draft and actor.role == Role.SYSTEM)


def needs_recheck(command: c.Command, before: WorkOrder, after: WorkOrder) -> bool:
    """A confirmation always re-checks (the agent registers what they saw); a draft's fill by the
    pipeline always (its first check); an edit when it changed what duplicates are matched on."""
    if isinstance(command, c.Confirm):
        return True
    if not isinstance(command, c.AmendDraft):
        return False
    filled = command.actor.role == Role.SYSTEM and bool(command.changes)
    return filled or matched_on(before) != matched_on(after)


# The name a draft is given until someone knows the enterprise ("来电 138****8000", "传真 未知号码",
# see callcenter.hotline.desk and callcenter.intake.text_drafts): senders, not an enterprise, and
# all anonymous senders share one, so only the phone is matched for it.
SENDER_PLACEHOLDER = re.compile(r"^(来电|传真|短信|来件) (未知号码|[0-9*+\- ]+)$")


class DuplicateCheck:
    def __init__(self, orders: OrderRepository, policy: Policy, window: timedelta) -> None:
        self.orders = orders
        self.policy = policy
        self.window = window

    async def find(self, order: WorkOrder) -> tuple[str, ...]:
        """Open orders and drafts this one may duplicate, most similar first."""
        name = order.enterprise.name.strip()
        candidates = await self.orders.find_recent(
            since=order.received_at - self.window,
            enterprise_name=None if not name or SENDER_PLACEHOLDER.match(name) else name,
            phone=order.enterprise.phone, statuses=CANDIDATE_STATUSES,
        )
        return tuple(possible_duplicates(order, candidates, window=self.window))

    async def flag(self, order: WorkOrder, events: list[Event], now: datetime) -> tuple[WorkOrder, list[Event]]:
        """``order`` (not yet saved, ``events`` pending) with the duplicates newly found flagged in a
        further event stored with them (the store links each of those back to this one)."""
        known = {order.number, *order.suspected_duplicates, *order.dismissed_duplicates}
        found = tuple(n for n in await self.find(order) if n not in known)
        if not found:
            return order, events
        order, more = handle(c.FlagDuplicates(actor=SYSTEM, numbers=found), order, now, self.policy)
        return order, [*events, *more]
