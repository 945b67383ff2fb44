"""SMS verification codes: six digits, stored only as an HMAC, sent straight through the SMS port.

A code is never written to the outbox (which keeps texts for the audit trail): it goes to the
provider at once, or the page says SMS is unavailable. It is for one number and one purpose
("submit", "track:<number>"), lives minutes, takes a few wrong answers and works once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import datetime

from callcenter.sms.phone import mobile_e164
from callcenter.sms.port import SmsError, SmsProvider
from callcenter.sms.privacy import mask_phone
from callcenter.sms.templates import build_sms

from .errors import CodeRejected, RateLimited, SmsDown
from .guard import HOUR, Guard
from .signing import same, sign
from .store import PortalStore

log = logging.getLogger(__name__)
SEND_TIMEOUT_S = 15.0
WRONG_CODE = "验证码不正确或已失效，请重新获取。"


class VerificationCodes:
    def __init__(self, store: PortalStore, guard: Guard, provider: Callable[[], SmsProvider | None],
                 clock: Callable[[], datetime]) -> None:
        self.store, self.guard, self.provider, self.clock = store, guard, provider, clock

    async def send(self, phone: str, purpose: str, address: str, *, deliver: bool = True) -> None:
        """Send a code to ``phone`` (a phone_key). ``deliver=False`` does all the same checks and
        counting but sends nothing: the answer for an order and number that do not match."""
        provider = self.provider()
        if provider is None:
            raise SmsDown(None, "短信服务暂不可用，暂时无法发送验证码，请稍后再试或拨打热线。")
        limits, now = self.guard.limits, self.clock()
        recent = await self.store.hits_since("code-phone", phone, now - HOUR)
        if recent and now - max(recent) < limits.code_interval:
            wait = int((limits.code_interval - (now - max(recent))).total_seconds()) + 1
            raise RateLimited("phone", f"验证码已发送，请 {wait} 秒后再重新获取。")
        await self.guard.within("code-addr", address, limits.codes_per_address, "获取验证码过于频繁，请稍后再试。")
        await self.guard.within("code-phone", phone, limits.codes_per_number,
                                "该号码获取验证码次数过多，请一小时后再试。", field="phone")
        if not deliver:
            return
        to = mobile_e164(phone)
        if to is None:
            raise CodeRejected("phone", "请填写11位手机号码。")
        code = f"{secrets.randbelow(1_000_000):06d}"
        key = await self.store.secret()
        code_id = await self.store.add_code(phone, purpose, sign(key, "code", f"{purpose}|{phone}|{code}"), now,
                                            now + limits.code_lifetime)
        minutes = str(int(limits.code_lifetime.total_seconds() // 60))
        sms = build_sms(to, "portal_code", {"code": code, "minutes": minutes}, idempotency_key=f"portal-code-{code_id}")
        try:
            await asyncio.wait_for(provider.send(sms), SEND_TIMEOUT_S)
        except (SmsError, TimeoutError) as exc:
            await self.store.void_code(code_id, now)
            log.warning("portal code to %s not sent: %s", mask_phone(to), getattr(exc, "error_id", "timeout"))
            raise SmsDown("phone", "验证码短信发送失败，请稍后再试。") from None
        log.info("portal code sent to %s (%s)", mask_phone(to), purpose.split(":", 1)[0])

    async def verify(self, phone: str, purpose: str, code: object, address: str) -> None:
        """Spend the number's live code for ``purpose`` if ``code`` is it; else CodeRejected, the
        attempt counted against the code and the address."""
        now = self.clock()
        typed = code.strip() if isinstance(code, str) else ""
        stored = await self.store.live_code(phone, purpose, now) if phone else None
        if stored is None or stored.attempts >= self.guard.limits.code_attempts:
            await self.guard.failed(address)
            raise CodeRejected("code", WRONG_CODE)
        expected = sign(await self.store.secret(), "code", f"{purpose}|{phone}|{typed}")
        if not (typed.isdigit() and len(typed) == 6 and same(stored.code_hash, expected)):
            await self.store.count_attempt(stored)
            await self.guard.failed(address)
            raise CodeRejected("code", WRONG_CODE)
        if not await self.store.use_code(stored, now):
            raise CodeRejected("code", WRONG_CODE)  # spent by a concurrent request
