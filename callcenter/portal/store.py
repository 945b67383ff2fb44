"""The portal's rows: hashed verification codes, the hits the abuse limits count, the signing key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.portal_tables import portal_codes, portal_hits, portal_state
from callcenter.db.tables import enterprises


@dataclass(frozen=True)
class StoredCode:
    id: int
    code_hash: str
    attempts: int
    expires_at: datetime


class PortalStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._secret: bytes | None = None

    async def secret(self) -> bytes:
        if self._secret is None:
            async with self.engine.connect() as conn:
                value = (await conn.execute(select(portal_state.c.secret).where(portal_state.c.id == 1))).scalar_one()
            self._secret = bytes.fromhex(value)
        return self._secret

    # --- abuse limits -------------------------------------------------------------------

    async def hit(self, kind: str, key: str, now: datetime) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(insert(portal_hits).values(kind=kind, key=key[:64], at=now))

    async def hits_since(self, kind: str, key: str, since: datetime) -> list[datetime]:
        t = portal_hits
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.c.at).where(t.c.kind == kind, t.c.key == key[:64], t.c.at > since)
                                      .order_by(t.c.at.desc()).limit(1000))
            return [r.at for r in rows]

    async def first_use(self, kind: str, key: str, now: datetime) -> bool:
        """Record ``key`` (a challenge nonce) as used; False when it already was."""
        t = portal_hits
        async with write_transaction(self.engine) as conn:
            found = (await conn.execute(select(t.c.id).where(t.c.kind == kind, t.c.key == key[:64]))).first()
            if found is not None:
                return False
            await conn.execute(insert(t).values(kind=kind, key=key[:64], at=now))
            return True

    async def prune(self, before: datetime) -> int:
        async with write_transaction(self.engine) as conn:
            hits = await conn.execute(delete(portal_hits).where(portal_hits.c.at < before))
            codes = await conn.execute(delete(portal_codes).where(portal_codes.c.expires_at < before))
            return int(hits.rowcount or 0) + int(codes.rowcount or 0)

    # --- verification codes -------------------------------------------------------------

    async def add_code(self, phone: str, purpose: str, code_hash: str, now: datetime, expires: datetime) -> int:
        """A new code; the number's earlier codes for the same purpose stop counting."""
        t = portal_codes
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(t).where(t.c.phone == phone, t.c.purpose == purpose, t.c.used_at.is_(None))
                               .values(used_at=now))
            result = await conn.execute(insert(t).values(phone=phone, purpose=purpose, code_hash=code_hash,
                                                         attempts=0, created_at=now, expires_at=expires))
            return int(result.inserted_primary_key[0])

    async def live_code(self, phone: str, purpose: str, now: datetime) -> StoredCode | None:
        t = portal_codes
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.phone == phone, t.c.purpose == purpose,
                                                      t.c.used_at.is_(None), t.c.expires_at > now)
                                      .order_by(t.c.created_at.desc(), t.c.id.desc()).limit(1))).first()
        return None if row is None else StoredCode(row.id, row.code_hash, row.attempts, row.expires_at)

    async def count_attempt(self, code: StoredCode) -> bool:
        """One more wrong answer, only if nobody counted one since we read it (no lost updates)."""
        t = portal_codes
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(t.c.id == code.id, t.c.attempts == code.attempts)
                                        .values(attempts=code.attempts + 1))
            return bool(result.rowcount)

    async def use_code(self, code: StoredCode, now: datetime) -> bool:
        """Spend the code; False when another request spent it first (a code works once)."""
        t = portal_codes
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(t.c.id == code.id, t.c.used_at.is_(None),
                                                        t.c.attempts == code.attempts).values(used_at=now))
            return bool(result.rowcount)

    async def void_code(self, code_id: int, now: datetime) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(portal_codes).where(portal_codes.c.id == code_id).values(used_at=now))

    # --- the enterprise directory -------------------------------------------------------

    async def enterprise_names(self, typed: str, limit: int) -> list[str]:
        """Directory names containing ``typed``, those starting with it first."""
        pattern = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        name = enterprises.c.name
        starts = func.substr(name, 1, len(typed)) == typed
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(name).where(name.like(f"%{pattern}%", escape="\\"))
                                      .order_by(starts.desc(), func.length(name), name).limit(limit))
            return [r.name for r in rows]
