"""Open event streams (`/events`, `/api/v1/live`) by session, so that a revoked session's streams
end at once, not when the browser goes away.

A revocation made in this process (logout, disabling a user) ends the streams directly. One made
by another worker or node is noticed by `watch`: once a second it reads the revocation generation
(one primary-key read for the whole process, however many streams are open) and, only when it has
changed, checks the open streams' tokens in one query. Expired tokens end their streams too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("zhitong.auth")
WATCH_INTERVAL_S = 1.0


@dataclass(eq=False)
class Stream:
    digest: str
    username: str
    expires_at: datetime
    queue: asyncio.Queue[dict[str, Any]]
    ended: str | None = field(default=None)  # why the server ended it: "revoked", "expired", "shutdown"

    def end(self, reason: str) -> None:
        if self.ended is not None:
            return
        self.ended = reason
        if self.queue.full():  # the stream's loop wakes on any item; it then sees `ended`
            self.queue.get_nowait()
        self.queue.put_nowait({"kind": "end", "reason": reason})


class StreamRegistry:
    def __init__(self) -> None:
        self._streams: set[Stream] = set()
        self._new = False  # a stream opened since the last check (its session may be revoked meanwhile)

    @contextlib.contextmanager
    def track(self, digest: str, username: str, expires_at: datetime,
              queue: asyncio.Queue[dict[str, Any]]) -> Iterator[Stream]:
        stream = Stream(digest, username, expires_at, queue)
        self._streams.add(stream)
        self._new = True
        try:
            yield stream
        finally:
            self._streams.discard(stream)

    def __len__(self) -> int:
        return len(self._streams)

    def end_where(self, match: Callable[[Stream], bool], reason: str) -> int:
        ended = [s for s in self._streams if s.ended is None and match(s)]
        for stream in ended:
            stream.end(reason)
        return len(ended)

    def end_token(self, digest: str) -> int:
        return self.end_where(lambda s: s.digest == digest, "revoked")

    def end_user(self, username: str) -> int:
        return self.end_where(lambda s: s.username == username, "revoked")

    def end_all(self, reason: str = "shutdown") -> int:
        return self.end_where(lambda s: True, reason)

    async def watch(self, generation: Callable[[], Awaitable[int]],
                    still_valid: Callable[[set[str]], Awaitable[set[str]]], interval: float = WATCH_INTERVAL_S) -> None:
        """Forever: end the streams of sessions revoked elsewhere (and of tokens that expired)."""
        seen: int | None = None
        while True:
            await asyncio.sleep(interval)
            if not self._streams:
                continue
            try:
                seen = await self.check(generation, still_valid, seen)
            except Exception:  # a database hiccup must not end the watch; the next round retries
                log.exception("checking open event streams for revoked sessions failed")

    async def check(self, generation: Callable[[], Awaitable[int]],
                    still_valid: Callable[[set[str]], Awaitable[set[str]]], seen: int | None) -> int:
        """One round of `watch`; returns the generation the open streams are now checked against."""
        now = datetime.now(UTC)
        self.end_where(lambda s: s.expires_at <= now, "expired")
        current = await generation()
        if current != seen or self._new:
            self._new = False
            # Only the streams the query was asked about: one opened while it ran (a page the user
            # just navigated to) is not in `valid` yet, and ending it signed the user out at random.
            # It set `_new` again, so the next round checks it.
            asked = list(self._streams)
            valid = await still_valid({s.digest for s in asked})
            for stream in asked:
                if stream.ended is None and stream.digest not in valid:
                    stream.end("revoked")
        return current
