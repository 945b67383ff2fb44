"""Abuse limits shared by every node (counted in portal_hits): codes per number and per address,
failures per address, and the challenge that failures switch on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .challenge import Challenge, new_challenge, solved
from .errors import ChallengeRequired, RateLimited
from .store import PortalStore

HOUR = timedelta(hours=1)
FAILED = "fail-addr"


@dataclass(frozen=True)
class PortalLimits:
    code_interval: timedelta = timedelta(seconds=60)  # between two codes to one number
    codes_per_number: int = 5  # per hour
    codes_per_address: int = 20  # per hour
    submits_per_address: int = 10  # per hour
    challenge_after: int = 3  # failures per address and hour, then every form asks the question
    block_after: int = 30  # failures per address and hour, then nothing more for the hour
    code_lifetime: timedelta = timedelta(minutes=10)
    code_attempts: int = 5  # wrong answers before a code is dead


class Guard:
    def __init__(self, store: PortalStore, clock: Callable[[], datetime], limits: PortalLimits) -> None:
        self.store, self.clock, self.limits = store, clock, limits

    async def failures(self, address: str) -> int:
        return len(await self.store.hits_since(FAILED, address, self.clock() - HOUR))

    async def failed(self, address: str) -> None:
        await self.store.hit(FAILED, address, self.clock())

    async def challenge_for(self, address: str) -> Challenge | None:
        """A new question when this address must answer one, else None."""
        if await self.failures(address) < self.limits.challenge_after:
            return None
        return new_challenge(await self.store.secret(), self.clock())

    async def admit(self, address: str, token: object, answer: object) -> None:
        """Before any work for this address: refused when blocked, or when a challenge is due and was
        not solved (each solved challenge works once)."""
        failures = await self.failures(address)
        if failures >= self.limits.block_after:
            raise RateLimited(None, "操作过于频繁，请一小时后再试。")
        if failures < self.limits.challenge_after:
            return
        now = self.clock()
        nonce = solved(await self.store.secret(), token, answer, now)
        if nonce is None or not await self.store.first_use("challenge", nonce, now):
            if isinstance(answer, str) and answer.strip():
                await self.failed(address)
            raise ChallengeRequired("challenge", "请正确回答验证问题后再提交。")

    async def within(self, kind: str, key: str, per_hour: int, message: str, *, field: str | None = None) -> None:
        """Count one more ``kind`` for ``key``; refused once ``per_hour`` were counted in the last hour."""
        now = self.clock()
        if len(await self.store.hits_since(kind, key, now - HOUR)) >= per_hour:
            raise RateLimited(field, message)
        await self.store.hit(kind, key, now)
