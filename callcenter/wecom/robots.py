"""Group robots' webhook keys per target (SQL), set by admins; shown only masked."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.dialect_insert import insert
from callcenter.db.engine import write_transaction
from callcenter.db.wecom_tables import wecom_robots
from worksheet.errors import ValidationError

LIAISON_TARGET = "liaison"  # the group where liaison officers are @-mentioned
# WeCom's keys are UUIDs; anything else with characters that could bend a URL is refused.
_KEY = re.compile(r"[A-Za-z0-9-]{8,100}")


def unit_target(code: str) -> str:
    return f"unit:{code}"


def mask_key(key: str) -> str:
    """Enough to tell two keys apart, never enough to use one."""
    return f"{key[:4]}…{key[-4:]}" if len(key) > 12 else "****"


def checked_key(key: str) -> str:
    key = key.strip()
    if not _KEY.fullmatch(key):
        raise ValidationError("机器人密钥格式不正确（应为 8–100 位字母、数字或连字符）")
    return key


class RobotKeys:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def set(self, target: str, key: str, by: str, now: datetime) -> None:
        values = {"target": target, "webhook_key": checked_key(key), "updated_at": now, "updated_by": by}
        stmt = insert(self.engine, wecom_robots).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=["target"], set_=values)
        async with write_transaction(self.engine) as conn:
            await conn.execute(stmt)

    async def remove(self, target: str) -> bool:
        async with write_transaction(self.engine) as conn:
            return bool((await conn.execute(delete(wecom_robots).where(wecom_robots.c.target == target))).rowcount)

    async def get(self, target: str) -> str | None:
        async with self.engine.connect() as conn:
            return await conn.scalar(select(wecom_robots.c.webhook_key).where(wecom_robots.c.target == target))

    async def masked(self) -> list[dict[str, str]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(wecom_robots).order_by(wecom_robots.c.target))).all()
        return [{"target": r.target, "key": mask_key(r.webhook_key), "updated_at": r.updated_at.isoformat(),
                 "updated_by": r.updated_by} for r in rows]
