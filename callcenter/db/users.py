"""Users and their bearer tokens (stored as SHA-256 digests only), and the revocation generation:
every change that takes rights away bumps it in the same transaction (see `auth_state`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.errors import DuplicateUser, NoAdminLeft, UserNotFound
from callcenter.db.tables import api_tokens, auth_state, users

__all__ = ["DuplicateUser", "User", "UserRepository"]


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str
    role: str
    unit_code: str | None
    active: bool
    display_name: str | None = None


def _user(row: Any) -> User:
    return User(row.id, row.username, row.password_hash, row.role, row.unit_code, row.active, row.display_name)


def _utcnow() -> datetime:
    # Audit timestamps of account records; order time always comes from the service clock.
    return datetime.now(UTC)


class UserRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add(self, username: str, password_hash: str, role: str, unit_code: str | None,
                  display_name: str | None = None) -> int:
        """Create an active user and return its id; DuplicateUser if the username is taken."""
        try:
            async with write_transaction(self.engine) as conn:
                result = await conn.execute(insert(users).values(
                    username=username, password_hash=password_hash, role=role, unit_code=unit_code,
                    display_name=display_name, active=True, created_at=_utcnow()))
                return int(result.inserted_primary_key[0])
        except IntegrityError:
            # Only the username is unique; anything else (e.g. an unknown unit_code) is not a duplicate.
            if await self.get_by_username(username) is not None:
                raise DuplicateUser(username) from None
            raise

    async def get_by_username(self, username: str) -> User | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.username == username))).first()
        return _user(row) if row else None

    async def list(self, *, limit: int | None = None, offset: int = 0) -> list[User]:
        """By role, then username (a stable order for paging); `limit=None` returns all."""
        query = select(users).order_by(users.c.role, users.c.username).offset(offset)
        async with self.engine.connect() as conn:
            return [_user(r) for r in await conn.execute(query if limit is None else query.limit(limit))]

    async def update(self, username: str, values: dict[str, Any], *, revoke: bool,
                     keep_token: str | None = None) -> tuple[User, User]:
        """Change an account in one transaction; (before, after). With `revoke` its sessions and
        tokens end everywhere (the generation is bumped), but for the one whose digest is
        `keep_token`. UserNotFound; NoAdminLeft when the change would leave no active administrator."""
        takes_admin = "role" in values or "active" in values
        async with write_transaction(self.engine) as conn:
            if takes_admin:  # lock the admins in one order first, so two admins demoting each other serialise
                admins = select(users.c.id).where(users.c.role == "admin", users.c.active.is_(True))
                admin_ids = list((await conn.execute(admins.order_by(users.c.id).with_for_update())).scalars())
            row = (await conn.execute(select(users).where(users.c.username == username).with_for_update())).first()
            if row is None:
                raise UserNotFound(username)
            before = _user(row)
            after = replace(before, **values)  # the values are named as the columns
            if takes_admin and before.id in admin_ids and not (after.role == "admin" and after.active):
                if not [i for i in admin_ids if i != before.id]:
                    raise NoAdminLeft(username)
            await conn.execute(update(users).where(users.c.id == before.id).values(**values))
            if revoke:
                await conn.execute(update(api_tokens).where(
                    api_tokens.c.user_id == before.id, api_tokens.c.revoked_at.is_(None),
                    api_tokens.c.digest != (keep_token or "")).values(revoked_at=_utcnow()))
                await _bump_generation(conn)
            return before, after

    async def set_active(self, username: str, active: bool) -> bool:
        """Disable (or re-enable) an account; disabling also revokes its sessions and tokens."""
        try:
            await self.update(username, {"active": active}, revoke=not active)
        except UserNotFound:
            return False
        return True

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
        return _user(row), row.expires_at

    async def revoke(self, digest: str) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(api_tokens).where(api_tokens.c.digest == digest).values(revoked_at=_utcnow()))
            await _bump_generation(conn)

    async def still_valid(self, digests: set[str]) -> set[str]:
        """Those of ``digests`` whose token is neither revoked nor expired, of an active user."""
        if not digests:
            return set()
        query = (select(api_tokens.c.digest).join(users, api_tokens.c.user_id == users.c.id)
                 .where(api_tokens.c.digest.in_(sorted(digests)), api_tokens.c.revoked_at.is_(None),
                        api_tokens.c.expires_at > _utcnow(), users.c.active.is_(True)))
        async with self.engine.connect() as conn:
            return set((await conn.execute(query)).scalars())

    async def login_csrf_key(self) -> bytes:
        async with self.engine.connect() as conn:
            key = (await conn.execute(select(auth_state.c.login_csrf_key).where(auth_state.c.id == 1))).scalar()
        if key is None:
            raise RuntimeError("auth_state has no row: run `zhitong db upgrade`")
        return bytes.fromhex(key)


async def _bump_generation(conn: AsyncConnection) -> None:
    """Part of the revoking transaction: no worker or node may trust its cached sessions any more."""
    result = await conn.execute(update(auth_state).where(auth_state.c.id == 1).values(
        generation=auth_state.c.generation + 1))
    if result.rowcount != 1:
        raise RuntimeError("auth_state has no row: run `zhitong db upgrade`")
