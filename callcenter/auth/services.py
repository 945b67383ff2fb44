"""Users, roles and bearer tokens. Passwords are argon2 hashes; tokens are stored
only as SHA-256 digests, so a database leak does not leak usable tokens."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from callcenter.auth.passwords import hash_password, verify_password
from callcenter.auth.tokens import digest, new_token, well_formed
from callcenter.db.units import UnitRepository
from callcenter.db.users import UserRepository
from worksheet.errors import ValidationError
from worksheet.model import Actor, Role

PERSON_ROLES = frozenset({Role.AGENT, Role.UNIT_HANDLER, Role.SUPERVISOR, Role.ADMIN})
MIN_PASSWORD = 10


class BadCredentials(Exception):
    error_id = "bad-credentials"


@dataclass(frozen=True)
class Session:
    token: str
    actor: Actor
    expires_at: datetime


class AuthService:
    """`token_ttl`: how long a looked-up token is trusted without asking the database.
    Every API request needs the actor, so this saves a query per request; a token
    revoked on another node stops working within the TTL."""

    def __init__(
        self, users: UserRepository, units: UnitRepository, *,
        token_ttl: float = 30.0, token_lifetime: timedelta = timedelta(hours=12),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users = users
        self.units = units
        self.token_ttl = token_ttl
        self.token_lifetime = token_lifetime
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, Actor]] = {}

    async def add_user(self, username: str, password: str, role: str, unit: str | None = None) -> Actor:
        username = username.strip()
        if not username or len(username) > 64 or any(ch.isspace() for ch in username):
            raise ValidationError("username must be 1–64 characters without spaces")
        try:
            parsed = Role(role)
        except ValueError:
            raise ValidationError(f"role must be one of: {', '.join(sorted(r.value for r in PERSON_ROLES))}") from None
        if parsed not in PERSON_ROLES:
            raise ValidationError(f"role must be one of: {', '.join(sorted(r.value for r in PERSON_ROLES))}")
        if len(password) < MIN_PASSWORD:
            raise ValidationError(f"password must have at least {MIN_PASSWORD} characters")
        if parsed == Role.UNIT_HANDLER:
            if not unit or await self.units.get(unit) is None:
                raise ValidationError("a unit handler must be bound to an existing unit")
        elif unit:
            raise ValidationError("only unit handlers are bound to a unit")
        await self.users.add(username, hash_password(password), parsed.value, unit)
        return Actor(username, parsed, unit)

    async def login(self, username: str, password: str, label: str = "api") -> Session:
        user = await self.users.get_by_username(username)
        # Verify against a dummy hash when the user is unknown, so timing does not reveal usernames.
        stored = user.password_hash if user and user.active else _DUMMY_HASH
        if not verify_password(stored, password) or user is None or not user.active:
            raise BadCredentials("wrong username or password")
        token, token_digest = new_token()
        expires_at = datetime.now(UTC) + self.token_lifetime  # a security clock, not the hotline's
        await self.users.add_token(user.id, token_digest, label, expires_at)
        return Session(token, Actor(user.username, Role(user.role), user.unit_code), expires_at)

    async def actor_for_token(self, token: str) -> Actor | None:
        if not well_formed(token):
            return None
        key = digest(token)
        now = self._monotonic()
        cached = self._cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        found = await self.users.user_for_token(key)
        if found is None or not found[0].active:
            self._cache.pop(key, None)
            return None
        user, expires_at = found
        actor = Actor(user.username, Role(user.role), user.unit_code)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()  # simple bound; entries are cheap to refill
        left = (expires_at - datetime.now(UTC)).total_seconds()
        self._cache[key] = (now + min(self.token_ttl, left), actor)
        return actor

    async def revoke(self, token: str) -> None:
        if not well_formed(token):
            return
        key = digest(token)
        self._cache.pop(key, None)
        await self.users.revoke(key)


_CACHE_MAX = 10_000
_DUMMY_HASH = hash_password("not-a-real-password-only-for-timing")
