"""The group robot's webhook (adapter): one POST per message to ``{base}/cgi-bin/webhook/send?key=…``.

WeCom answers HTTP 200 with ``{"errcode": 0}`` on success; a frequency limit (45009, 20 messages a
minute per robot) or a server error is worth a retry, a bad key (93000) or a refused body is not.
The key is part of the URL: it never reaches a log or an error text.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

DEFAULT_BASE = "https://qyapi.weixin.qq.com"
RETRYABLE_CODES = frozenset({-1, 45009, 45033})  # system busy, too frequent, too many at once
TIMEOUT = aiohttp.ClientTimeout(total=10)


class RobotError(Exception):
    def __init__(self, detail: str, *, retry: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry = retry


class RobotClient:
    def __init__(self, base_url: str = DEFAULT_BASE) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def send(self, webhook_key: str, body: dict[str, Any]) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        try:
            async with self._session.post(f"{self.base_url}/cgi-bin/webhook/send", params={"key": webhook_key},
                                          json=body) as resp:
                text = await resp.text()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RobotError(f"WeCom unreachable: {type(exc).__name__}", retry=True) from None
        if status >= 500 or status == 429:
            raise RobotError(f"WeCom answered HTTP {status}", retry=True)
        try:
            answer = json.loads(text)
            code = int(answer.get("errcode", -1))
        except (ValueError, TypeError, AttributeError):
            raise RobotError(f"WeCom answered HTTP {status} without JSON", retry=status != 200) from None
        if code != 0:
            raise RobotError(f"WeCom errcode {code}: {str(answer.get('errmsg', ''))[:100]}",
                             retry=code in RETRYABLE_CODES)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
