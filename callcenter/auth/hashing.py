"""argon2 off the event loop: a few threads verify and hash passwords (argon2-cffi releases the
GIL), and at most `queue` logins wait for them. One argon2 verification is tens of milliseconds
of CPU on purpose; on the event loop, 16 concurrent wrong logins stalled every request, FastAGI
call and AMI event of the process for seconds. When the queue is full, further logins are refused
at once (503 with Retry-After) instead of piling up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from callcenter.auth.errors import LoginBusy
from callcenter.auth.passwords import hash_password, verify_password


def default_workers() -> int:
    """Leave a core for the event loop (calls and pages) when there is more than one."""
    return max(1, (os.cpu_count() or 1) - 1)


class PasswordWorkers:
    def __init__(self, workers: int = 0, queue: int = 32) -> None:
        self.workers = workers or default_workers()
        self.capacity = self.workers + queue  # logins being verified plus those waiting
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="argon2")
        self._admitted = 0

    @contextlib.asynccontextmanager
    async def admission(self) -> AsyncIterator[None]:
        """A place for one login from start to end; LoginBusy at once when there is none."""
        if self._admitted >= self.capacity:
            raise LoginBusy(retry_after=1)
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

    async def verify(self, stored_hash: str, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(self._executor, verify_password, stored_hash, password)

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._executor, hash_password, password)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
