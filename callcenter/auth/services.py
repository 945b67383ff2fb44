"""Users, roles and bearer tokens. Passwords are argon2 hashes; tokens are stored
only as SHA-256 digests, so a database leak does not leak usable tokens."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from callcenter.auth import rules
from callcenter.auth.accounts import Accounts
from callcenter.auth.errors import BadCredentials, LoginThrottled
from callcenter.auth.generation import SharedRead
from callcenter.auth.hashing import PasswordWorkers
from callcenter.auth.passwords import hash_password
from callcenter.auth.rules import plausible_username
from callcenter.auth.streams import StreamRegistry
from callcenter.auth.throttle import LoginThrottle
from callcenter.auth.tokens import digest, new_token, well_formed
from callcenter.db.auth_generation import GenerationReader
from callcenter.db.units import UnitRepository
from callcenter.db.users import UserRepository
from worksheet.model import Actor, Role

__all__ = ["AuthService", "BadCredentials", "Session", "plausible_username"]


def utc_now() -> datetime:
    return datetime.now(UTC)  # a security clock (throttling, token expiry), not the hotline's


@dataclass(frozen=True)
class Session:
    token: str
    actor: Actor
    expires_at: datetime


@dataclass(frozen=True)
class _Cached:
    actor: Actor
    generation: int
    until: float  # monotonic: the token's expiry


class AuthService:
    """A looked-up token is cached, and trusted for the next request only while the revocation
    generation is unchanged (one primary-key read per request, shared by concurrent requests,
    instead of the token join): every revocation, on any worker or node, bumps it in its own
    transaction, so it counts at once."""

    def __init__(
        self, users: UserRepository, units: UnitRepository, throttle: LoginThrottle, *,
        hashing: PasswordWorkers | None = None, token_lifetime: timedelta = timedelta(hours=12),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users = users
        self.units = units
        self.throttle = throttle
        self.hashing = hashing or PasswordWorkers()
        self.streams = StreamRegistry()
        self.token_lifetime = token_lifetime
        self._monotonic = monotonic
        self._cache: dict[str, _Cached] = {}
        self._generation_reader = GenerationReader(users.engine)
        self._shared_generation = SharedRead(self._generation_reader.read)
        self._login_form_key: bytes | None = None
        self.accounts = Accounts(self, throttle.audit, throttle.now)  # editing users, passwords (audited)

    async def _generation(self) -> int:
        # On a SQLite file the read is inline and costs less than sharing one between callers.
        inline = self._generation_reader.read_inline()
        return inline if inline is not None else await self._shared_generation()

    async def add_user(self, username: str, password: str, role: str, unit: str | None = None,
                       display_name: str = "", *, by: Actor | None = None) -> Actor:
        """A new active user, audited as added `by` someone; AccountInvalid (with a Chinese `zh`)
        when a rule is broken."""
        username = rules.check_username(username)
        parsed = rules.check_role(role)
        rules.check_password(password, username)
        await rules.check_unit(self.units, parsed, unit)
        name = rules.check_display_name(display_name)
        await self.users.add(username, await self.hashing.hash(password), parsed.value, unit, name)
        if by is not None:
            await self.accounts.audit.record(by, "user-add", username, self.accounts.now(),
                                             f"role {parsed.value}" + (f"; unit {unit}" if unit else ""))
        return Actor(username, parsed, unit)

    async def login(self, username: str, password: str, label: str = "api", *, address: str = "") -> Session:
        """Throttled before any argon2 work: a refused attempt (LoginThrottled, LoginBusy) costs a
        database round trip, and even the right password is refused while a lock lasts."""
        account = username if plausible_username(username) else None  # others cannot be anyone's
        keys = self.throttle.keys(account, address)
        async with self.hashing.admission():
            refusal = await self.throttle.reserve(keys)
            if refusal.wait > 0:
                raise LoginThrottled(retry_after=refusal.wait, locked=refusal.locked)
            try:
                user = await self.users.get_by_username(account) if account is not None else None
                # Verify against a dummy hash when the user is unknown, so timing does not reveal usernames.
                stored = user.password_hash if user and user.active else _DUMMY_HASH
                ok = await self.hashing.verify(stored, password) and user is not None and user.active
            except BaseException:
                await self.throttle.released(keys)  # not verified: the attempt does not count
                raise
        if not ok or user is None:
            await self.throttle.failed(keys, address)
            raise BadCredentials("wrong username or password")
        await self.throttle.succeeded(keys)
        token, token_digest = new_token()
        expires_at = utc_now() + self.token_lifetime
        await self.users.add_token(user.id, token_digest, label, expires_at)
        return Session(token, Actor(user.username, Role(user.role), user.unit_code), expires_at)

    async def actor_for_token(self, token: str) -> Actor | None:
        found = await self.session_for_token(token)
        return found.actor if found else None

    async def session_for_token(self, token: str) -> Session | None:
        """The token's session; None for a malformed, unknown, revoked or expired token."""
        if not well_formed(token):
            return None
        key = digest(token)
        generation = await self._generation()  # read before the token: a later bump is seen next time
        now = self._monotonic()
        cached = self._cache.get(key)
        if cached and cached.generation == generation and cached.until > now:
            return Session(token, cached.actor, utc_now() + timedelta(seconds=cached.until - now))
        found = await self.users.user_for_token(key)
        if found is None or not found[0].active:
            self._cache.pop(key, None)
            return None
        user, expires_at = found
        actor = Actor(user.username, Role(user.role), user.unit_code)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()  # simple bound; entries are cheap to refill
        self._cache[key] = _Cached(actor, generation, now + (expires_at - utc_now()).total_seconds())
        return Session(token, actor, expires_at)

    async def revoke(self, token: str) -> None:
        """Logout: the token stops working on every node, and its open event streams end now."""
        if not well_formed(token):
            return
        key = digest(token)
        self._cache.pop(key, None)
        await self.users.revoke(key)
        self.streams.end_token(key)

    async def set_active(self, username: str, active: bool) -> bool:
        """Disable (or re-enable) a user; disabling revokes every session at once, streams included."""
        changed = await self.users.set_active(username, active)
        if changed and not active:
            self.sessions_revoked(username)
        return changed

    def sessions_revoked(self, username: str, *, keep_token: str | None = None) -> None:
        """After the user's tokens (but `keep_token`'s) were revoked in the database, which bumped
        the generation so other workers notice: forget them here and end this worker's streams."""
        self._cache = {k: v for k, v in self._cache.items() if v.actor.id != username or k == keep_token}
        self.streams.end_where(lambda s: s.username == username and s.digest != keep_token, "revoked")

    async def watch_streams(self) -> None:
        """Forever: end open event streams whose session was revoked on another worker or node."""
        await self.streams.watch(self._generation, self.users.still_valid)

    async def login_form_key(self) -> bytes:
        """The key signing the login form's CSRF cookie (the same on every node; it never changes)."""
        if self._login_form_key is None:
            self._login_form_key = await self.users.login_csrf_key()
        return self._login_form_key

    async def unlock(self, kind: str, key: str, by: Actor) -> bool:
        return await self.throttle.unlock(kind, key, by)

    async def close(self) -> None:
        """Before the engine is disposed: the generation reader's connection, the argon2 threads."""
        await self._generation_reader.close()
        self.hashing.close()


_CACHE_MAX = 10_000
_DUMMY_HASH = hash_password("not-a-real-password-only-for-timing")
