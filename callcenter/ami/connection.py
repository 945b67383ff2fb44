"""One AMI TCP connection: bytes in through the pure codec, responses matched to actions.

Correlation rule (the captures show why ActionID alone is not enough): a message with a
``Response:`` header answers the pending action with its ActionID. An ``Event:`` with that ActionID
belongs to the action only while the action is collecting a list (``EventList: start`` /
``... will follow``) and up to its ``*Complete`` event; otherwise it is an ordinary event
(``OriginateResponse``, the ``UserEvent`` an action produced) and goes to the event handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from callcenter.ami.codec import AmiDecoder, AmiProtocolError, Message

logger = logging.getLogger(__name__)


# Items one list action may collect (CoreShowChannels on a busy PBX: thousands); a list that never
# completes must not grow memory for the whole action timeout.
MAX_LIST_EVENTS = 100_000


class AmiConnectionLost(ConnectionError):
    error_id = "ami-connection-lost"


class AmiListTooLong(AmiProtocolError):
    error_id = "ami-list-too-long"


@dataclass
class ActionResult:
    response: Message
    events: list[Message] = field(default_factory=list)  # list items, without the *Complete event
    complete: Message | None = None

    @property
    def ok(self) -> bool:
        return (self.response.get("Response") or "").lower() in ("success", "goodbye", "follows")

    @property
    def message(self) -> str:
        return self.response.get("Message") or ""


@dataclass
class _Pending:
    future: asyncio.Future[ActionResult]
    result: ActionResult | None = None  # set once the Response arrived and a list follows


def _starts_list(response: Message) -> bool:
    if (response.get("EventList") or "").lower() == "start":
        return True
    return "will follow" in (response.get("Message") or "").lower()


def _ends_list(event: Message) -> bool:
    return (event.get("EventList") or "").lower() == "complete" or (event.name or "").endswith("Complete")


class AmiConnection(asyncio.Protocol):
    def __init__(self, on_event: Callable[[Message], None], *, max_buffer: int = 1024 * 1024) -> None:
        self.decoder = AmiDecoder(max_buffer=max_buffer)
        self.on_event = on_event
        self.on_lost: Callable[[], None] | None = None  # called the moment the connection ends (EOF, reset, abort)
        self.transport: asyncio.Transport | None = None
        self.banner: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()
        self._pending: dict[str, _Pending] = {}
        self._nul_logged = 0

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            messages = self.decoder.feed(data)
        except AmiProtocolError as exc:
            logger.error("AMI framing lost (%s); dropping the connection", exc)
            self.abort(exc)
            return
        if self.decoder.banner is not None and not self.banner.done():
            self.banner.set_result(self.decoder.banner)
        if self.decoder.dropped_nul != self._nul_logged:
            if self._nul_logged == 0 or self.decoder.dropped_nul // 1000 > self._nul_logged // 1000:
                logger.warning("AMI: dropped %d message(s) holding a NUL byte so far (no Asterisk sends one)",
                               self.decoder.dropped_nul)
            self._nul_logged = self.decoder.dropped_nul
        for msg in messages:
            self._route(msg)

    def connection_lost(self, exc: Exception | None) -> None:
        error = AmiConnectionLost(f"AMI connection lost: {exc}" if exc else "AMI connection closed")
        for pending in self._pending.values():
            _fail(pending.future, error)
        self._pending.clear()
        _fail(self.banner, error)
        if not self.closed.done():
            self.closed.set_result(exc)
        if self.on_lost is not None:
            try:
                self.on_lost()
            except Exception:  # a protocol callback must not raise: asyncio would only log it
                logger.exception("AMI connection-lost handler failed")

    # -- actions --------------------------------------------------------------------------------

    def send(self, data: bytes, action_id: str) -> asyncio.Future[ActionResult]:
        if self.transport is None or self.transport.is_closing():
            raise AmiConnectionLost("AMI connection is not open")
        future: asyncio.Future[ActionResult] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = _Pending(future)
        self.transport.write(data)
        return future

    def forget(self, action_id: str) -> None:
        self._pending.pop(action_id, None)

    def abort(self, exc: Exception | None = None) -> None:
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _route(self, msg: Message) -> None:
        kind = msg.kind
        if not self._pending:  # the common case: nothing to correlate, do not even parse
            if kind == "event":
                self.on_event(msg)
            return
        action_id = msg.action_id
        pending = self._pending.get(action_id) if action_id else None
        if pending is not None and kind == "response" and pending.result is None:
            result = ActionResult(msg)
            if _starts_list(msg):
                pending.result = result
            else:
                self._finish(action_id, result)  # type: ignore[arg-type]
            return
        if pending is not None and kind == "event" and pending.result is not None:
            if _ends_list(msg):
                pending.result.complete = msg
                self._finish(action_id, pending.result)  # type: ignore[arg-type]
            elif len(pending.result.events) >= MAX_LIST_EVENTS:
                self._pending.pop(action_id)  # type: ignore[arg-type]  # later items are plain events
                logger.warning("AMI list reply to %s passed %d items; giving up on it", action_id, MAX_LIST_EVENTS)
                if not pending.future.done():
                    pending.future.set_exception(AmiListTooLong(f"more than {MAX_LIST_EVENTS} list items"))
            else:
                pending.result.events.append(msg)
            return
        if kind == "event":
            self.on_event(msg)
        elif kind == "response":
            logger.debug("AMI response to no pending action: %s", action_id)

    def _finish(self, action_id: str, result: ActionResult) -> None:
        pending = self._pending.pop(action_id)
        if not pending.future.done():
            pending.future.set_result(result)


def _fail(future: asyncio.Future[Any], error: Exception) -> None:
    """Fail a future nobody may await any more (its caller timed out or was cancelled, or the
    banner was never waited for): marked as retrieved, so garbage collection does not log
    "Future exception was never retrieved" for a connection loss the client already reported.
    A caller still awaiting it gets the error as usual."""
    if not future.done():
        future.set_exception(error)
        future.exception()
