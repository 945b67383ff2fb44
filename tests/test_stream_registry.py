"""The open-stream registry's revocation check (pure asyncio, no server)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from callcenter.auth.streams import StreamRegistry


def later() -> datetime:
    """An expiry an hour from now, taken when the test runs: a module constant is taken at
    collection, and a long parallel run reached it before this test ran."""
    return datetime.now(UTC) + timedelta(hours=1)


async def test_a_stream_opened_while_the_check_runs_is_not_ended() -> None:
    # A user moves to another page: the old page's stream is gone, the new one opens while the
    # check's query (about the streams open before) is still running. It must not be "revoked".
    registry = StreamRegistry()
    other = registry.track("agent-token", "agent", later(), asyncio.Queue())
    other.__enter__()
    opened = {}
    contexts = []  # kept: a collected context manager would close its stream

    async def still_valid(digests: set[str]) -> set[str]:
        contexts.append(registry.track("root-token", "root", later(), asyncio.Queue()))
        opened["root"] = contexts[-1].__enter__()
        await asyncio.sleep(0)
        return set(digests)  # every token asked about is valid

    seen = await registry.check(_generation, still_valid, None)
    assert opened["root"].ended is None
    valid_for_root = await registry.check(_generation, _only({"agent-token"}), seen)  # next round: asked now
    assert valid_for_root == 1 and opened["root"].ended == "revoked"


async def test_a_revoked_token_among_those_asked_is_ended() -> None:
    registry = StreamRegistry()
    with registry.track("a", "u1", later(), asyncio.Queue()) as a, registry.track("b", "u2", later(), asyncio.Queue()) as b:
        await registry.check(_generation, _only({"a"}), None)
        assert a.ended is None and b.ended == "revoked"
        assert b.queue.get_nowait() == {"kind": "end", "reason": "revoked"}


async def _generation() -> int:
    return 1


def _only(valid: set[str]):  # type: ignore[no-untyped-def]
    async def still_valid(digests: set[str]) -> set[str]:
        return digests & valid
    return still_valid
