"""The 直通 group's messages (decrypted WeCom callbacks) → drafts, each message once.

A message is claimed by its MsgId before anything else happens, so WeCom's repeats (it sends a
callback again when we answer slowly) and replayed requests draft nothing twice; if drafting fails
the claim is released and the error answered, so WeCom's next attempt tries again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.dialect_insert import insert
from callcenter.db.engine import write_transaction
from callcenter.db.wecom_tables import wecom_inbound
from callcenter.intake.text_drafts import Extract, TextSource, draft_from_text
from callcenter.orders.services import OrderService
from worksheet.model import Channel, Enterprise

from .senders import SenderMap

log = logging.getLogger(__name__)
# A claim with no outcome this old belongs to a node that died mid-draft: WeCom's next attempt takes it.
STALE_CLAIM = timedelta(minutes=2)
# What a non-text message becomes: the draft says what came and where to see it.
MEDIA = {"image": "图片", "voice": "语音", "video": "视频", "file": "文件", "link": "链接", "location": "位置"}


def message_key(fields: dict[str, str]) -> str:
    if fields.get("MsgId"):
        return f"msg:{fields['MsgId'][:100]}"
    basis = "|".join(fields.get(k, "") for k in ("FromUserName", "CreateTime", "MsgType", "Event", "Content"))
    return "digest:" + hashlib.sha1(basis.encode()).hexdigest()


def message_text(fields: dict[str, str]) -> str | None:
    """The draft's text, or None for what is no matter (events such as entering the app)."""
    kind = fields.get("MsgType", "")
    if kind == "text":
        return fields.get("Content", "")
    if kind == "location":
        return f"［位置消息］{fields.get('Label', '')}（{fields.get('Location_X', '')}, {fields.get('Location_Y', '')}）"
    if kind == "link":
        return f"［链接消息］{fields.get('Title', '')} {fields.get('Description', '')} {fields.get('Url', '')}".strip()
    if kind in MEDIA:
        return (f"［{MEDIA[kind]}消息］对方通过企业微信发来{MEDIA[kind]}（MediaId {fields.get('MediaId', '')[:80]}），"
                "请在企业微信中查看，必要时联系对方补充文字说明。")
    return None


class WeComInbound:
    def __init__(self, engine: AsyncEngine, orders: OrderService, senders: SenderMap, extract: Extract | None,
                 clock: Callable[[], datetime], *, agent_id: str | None = None) -> None:
        self.engine = engine
        self.orders = orders
        self.senders = senders
        self.extract = extract
        self.clock = clock
        self.agent_id = agent_id

    async def handle(self, fields: dict[str, str]) -> str:
        """The outcome: draft (with the number logged), duplicate, or ignored."""
        sender = fields.get("FromUserName", "")[:64]
        text = message_text(fields)
        if text is None or not sender or (self.agent_id and fields.get("AgentID") not in (None, "", self.agent_id)):
            return "ignored"
        key = message_key(fields)
        if not await self._claim(key, sender, fields.get("MsgType", "")[:16]):
            return "duplicate"
        try:
            order = await self._draft(sender, text, fields)
        except BaseException:
            await self._release(key)
            raise
        await self._record(key, "draft", order)
        log.info("WeCom message %s drafted as %s", key, order)
        return "draft"

    async def _draft(self, sender: str, text: str, fields: dict[str, str]) -> str:
        enterprise = await self.senders.enterprise_of(sender) or Enterprise(name=f"企业微信用户 {sender}"[:200])
        src = TextSource(channel=Channel.WECHAT, sender=None, text=text[:4000], received_at=self.clock(),
                         subject="企业微信留言（待确认）", label="企业微信原文", empty="（空消息）",
                         extra={"wecom_userid": sender, "wecom_msgtype": fields.get("MsgType", "")},
                         source=f"wecom:{sender}", enterprise=enterprise)
        # The extractor reads a text message; a media note has nothing in it to extract.
        extract = self.extract if fields.get("MsgType") == "text" else None
        return (await draft_from_text(self.orders, extract, src)).number

    async def _claim(self, key: str, sender: str, kind: str) -> bool:
        now, t = self.clock(), wecom_inbound
        stmt = insert(self.engine, t).values(
            msg_key=key, from_user=sender, msg_type=kind, received_at=now).on_conflict_do_nothing(
            index_elements=["msg_key"])
        async with write_transaction(self.engine) as conn:
            if (await conn.execute(stmt)).rowcount:
                return True
            stale = await conn.execute(update(t).where(t.c.msg_key == key, t.c.outcome.is_(None),
                                                       t.c.received_at < now - STALE_CLAIM).values(received_at=now))
            return bool(stale.rowcount)

    async def _release(self, key: str) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(delete(wecom_inbound).where(wecom_inbound.c.msg_key == key))

    async def _record(self, key: str, outcome: str, order_number: str) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(wecom_inbound).where(wecom_inbound.c.msg_key == key)
                               .values(outcome=outcome, order_number=order_number))
