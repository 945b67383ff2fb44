"""Login throttling: growing delays, then a temporary lock, per account and per client address.

Both, because each stops what the other cannot: the account limit stops guessing one password
from many addresses; the address limit stops one address guessing across many accounts (password
spraying) and bounds how many accounts one address can lock out. Addresses get a far higher limit
than accounts because a call centre's agents usually share one NAT address: an agent mistyping
must not hold up the office. Locks expire by themselves (a bucket quiet for `lock_for` is
forgiven), and administrators lift them (/admin/users, the API, `zhitong user unlock`). Every
lock and unlock is in the audit log.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from callcenter.audit import AuditLog
from callcenter.db.login_throttle import Admission, Bucket, Key, LoginThrottleRepository
from worksheet.model import Actor, Role

log = logging.getLogger("zhitong.auth")
ACCOUNT, ADDRESS = "account", "address"
PRUNE_EVERY_S = 600.0
SYSTEM = Actor("system", Role.SYSTEM)


@dataclass(frozen=True)
class Limits:
    """Up to ``lock_after // 2`` failures are free; each further one makes the next attempt wait
    twice as long (1 s, 2 s, 4 s, … at most ``max_delay_s``); ``lock_after`` failures lock the
    bucket for ``lock_for``."""

    lock_after: int
    lock_for: timedelta
    max_delay_s: float = 60.0
    # Do attempts still being verified delay the next one as failures would? For an account, yes:
    # concurrent logins to one account are guesses. For an address, no: agents behind one NAT
    # address log in together at the start of a shift. Both count them towards the lock.
    delay_in_flight: bool = True

    def delay_s(self, failures: int) -> float:
        free = max(1, self.lock_after // 2)
        return 0.0 if failures < free else min(2.0 ** (failures - free), self.max_delay_s)

    def admit(self, bucket: Bucket, now: datetime) -> Admission:
        if bucket.locked_until is not None and bucket.locked_until > now:
            return Admission((bucket.locked_until - now).total_seconds(), locked=True)
        last = bucket.last_failure_at
        forgiven = bucket.locked_until is not None or last is None or now - last >= self.lock_for
        failures = 0 if forgiven else bucket.failures  # a lock that ran out, or quiet long enough
        in_flight = bucket.in_flight(now)
        if failures + in_flight >= self.lock_after:
            return Admission(1.0)  # the last allowed attempts are being verified right now
        counted, since = failures, last
        if self.delay_in_flight and in_flight and bucket.pending_at is not None:
            counted, since = failures + in_flight, bucket.pending_at
        wait = self.delay_s(counted) - (now - since).total_seconds() if counted and since is not None else 0.0
        return Admission(max(wait, 0.0), forgiven=forgiven)

    def lock_until(self, bucket: Bucket, now: datetime) -> datetime | None:
        already = bucket.locked_until is not None and bucket.locked_until > now
        return now + self.lock_for if bucket.failures >= self.lock_after and not already else None


def address_key(address: str) -> str:
    """The bucket of a client address: the IPv4 address, or the IPv6 /64 (one subscriber's
    network: an attacker holding a /64 must not get 2^64 separate limits)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class LoginThrottle:
    def __init__(self, repo: LoginThrottleRepository, audit: AuditLog, *, account: Limits, address: Limits,
                 now: Callable[[], datetime]) -> None:
        self.repo, self.audit, self.now = repo, audit, now
        self.limits = {ACCOUNT: account, ADDRESS: address}

    def keys(self, username: str | None, address: str) -> list[Key]:
        """``username`` is None when it cannot be anyone's: such attempts count for the address only."""
        keys = [(ADDRESS, address_key(address))]
        return keys + [(ACCOUNT, username)] if username is not None else keys

    async def reserve(self, keys: list[Key]) -> Admission:
        return await self.repo.reserve(keys, self.now(), lambda b, now: self.limits[b.kind].admit(b, now))

    async def failed(self, keys: list[Key], address: str) -> None:
        now = self.now()
        for bucket in await self.repo.failed(keys, now, lambda b, at: self.limits[b.kind].lock_until(b, at)):
            await self.audit.record(SYSTEM, f"login-lock-{bucket.kind}", bucket.key, now,
                                    f"{bucket.failures} failed logins, locked until "
                                    f"{bucket.locked_until.isoformat() if bucket.locked_until else ''}; last from {address}")

    async def succeeded(self, keys: list[Key]) -> None:
        await self.repo.uncount(keys, forget=[k for k in keys if k[0] == ACCOUNT])

    async def released(self, keys: list[Key]) -> None:
        await self.repo.uncount(keys)

    async def unlock(self, kind: str, key: str, by: Actor) -> bool:
        """Lift a lock (and forget the failures) of an account or an address; audited."""
        key = address_key(key) if kind == ADDRESS else key
        cleared = await self.repo.clear(kind, key)
        if cleared:
            await self.audit.record(by, f"login-unlock-{kind}", key[:64], self.now())
        return cleared

    async def locks(self) -> list[Bucket]:
        return await self.repo.locked(self.now())

    async def prune(self) -> int:
        now = self.now()
        return await self.repo.prune(now - max(limits.lock_for for limits in self.limits.values()), now)

    async def prune_forever(self, every_s: float = PRUNE_EVERY_S) -> None:
        """Forget forgiven buckets now and then, so a spray of made-up usernames leaves no rows."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.prune()
            except Exception:
                log.exception("pruning the login throttle failed; retrying later")
