"""Users and their bearer tokens (stored as SHA-256 digests only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.errors import DuplicateUser
from callcenter.db.tables import api_tokens, users

__all__ = ["DuplicateUser", "User", "UserRepository"]


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str
    role: str
    unit_code: str | None
    active: bool


def _utcnow() -> datetime:
    # Audit timestamps of account records; order time always comes from the service clock.
    return datetime.now(UTC)


class UserRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add(self, username: str, password_hash: str, role: str, unit_code: str | None) -> int:
        """Create an active user and return its id; DuplicateUser if the username is taken."""
        try:
            async with write_transaction(self.engine) as conn:
                result = await conn.execute(insert(users).values(
                    username=username, password_hash=password_hash, role=role, unit_code=unit_code,
                    active=True, created_at=_utcnow()))
                return int(result.inserted_primary_key[0])
        except IntegrityError:
            # Only the username is unique; anything else (e.g. an unknown unit_code) is not a duplicate.
            if await self.get_by_username(username) is not None:
                raise DuplicateUser(username) from None
            raise

    async def get_by_username(self, username: str) -> User | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.username == username))).first()
        return User(row.id, row.username, row.password_hash, row.role, row.unit_code, row.active) if row else None

    async def list(self) -> list[User]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(users).order_by(users.c.role, users.c.username))
            return [User(r.id, r.username, r.password_hash, r.role, r.unit_code, r.active) for r in rows]

    async def set_active(self, username: str, active: bool) -> bool:
        """Disable (or re-enable) an account; disabling also revokes its sessions and tokens."""
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(users).where(users.c.username == username).values(active=active))
            if result.rowcount and not active:
                user_id = select(users.c.id).where(users.c.username == username).scalar_subquery()
                await conn.execute(update(api_tokens).where(api_tokens.c.user_id == user_id).values(
                    revoked_at=_utcnow()))
            return bool(result.rowcount)

    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(users))).scalar_one())

    async def add_token(self, user_id: int, digest: str, label: str, expires_at: datetime) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(insert(api_tokens).values(
                digest=digest, user_id=user_id, label=label, created_at=_utcnow(), expires_at=expires_at))

    async def user_for_token(self, digest: str) -> tuple[User, datetime] | None:
        """The token's user and the token's expiry, for a token neither revoked nor expired."""
        query = (
            select(users, api_tokens.c.expires_at).join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.digest == digest, api_tokens.c.revoked_at.is_(None),
                   api_tokens.c.expires_at > _utcnow())
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return User(row.id, row.username, row.password_hash, row.role, row.unit_code, row.active), row.expires_at

    async def revoke(self, digest: str) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(api_tokens).where(api_tokens.c.digest == digest).values(revoked_at=_utcnow()))
