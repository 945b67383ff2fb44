"""A small blocking AMI client for the tests: drive the carrier, record what a manager user gets.

It decodes with the product's own pure codec (callcenter.ami.codec) and keeps every event in
arrival order, so a test can wait for one and the parity test can compare whole streams.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable

from callcenter.ami.codec import AmiDecoder, encode_action
from callcenter.ami.message import Message

Event = dict[str, str]


def as_dict(msg: Message) -> Event:
    out: Event = {}
    for name, value in msg.headers:
        out.setdefault(name, value)
    return out


class AmiTap:
    def __init__(self, port: int, username: str, secret: str, host: str = "127.0.0.1") -> None:
        self.events: list[Event] = []
        self._responses: dict[str, list[Event]] = {}
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._sock = socket.create_connection((host, port), timeout=10)
        self._sock.settimeout(None)
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        reply = self.action({"Action": "Login", "Username": username, "Secret": secret})
        if reply.get("Response") != "Success":
            raise RuntimeError(f"AMI login failed: {reply}")

    def _read(self) -> None:
        decoder = AmiDecoder()
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            for msg in decoder.feed(data):
                event = as_dict(msg)
                event["_at"] = f"{time.time():.3f}"  # arrival time, for timelines
                with self._cond:
                    if "Event" in event and "ActionID" not in event:
                        self.events.append(event)
                    elif (aid := event.get("ActionID")) is not None:
                        self._responses.setdefault(aid, []).append(event)
                        if "Event" in event:
                            self.events.append(event)
                    self._cond.notify_all()

    def action(self, fields: dict[str, str | list[str]], timeout: float = 15.0) -> Event:
        aid = f"t{next(self._ids)}"
        pairs: list[tuple[str, str]] = []
        for k, v in fields.items():
            if k != "Action":
                pairs.extend((k, item) for item in (v if isinstance(v, list) else [v]))
        self._sock.sendall(encode_action(str(fields["Action"]), pairs, action_id=aid))
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._responses.get(aid):
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise TimeoutError(f"no AMI response to {fields.get('Action')}")
                self._cond.wait(left)
            return self._responses[aid][0]

    def wait_event(self, pred: Callable[[Event], bool], timeout: float = 30.0, start: int = 0) -> Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ev in self.events[start:]:
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    names = [e.get("Event") for e in self.events[-30:]]
                    raise AssertionError(f"AMI event not seen in {timeout} s; last events: {names}")
                self._cond.wait(min(left, 0.5))

    def mark(self) -> int:
        with self._cond:
            return len(self.events)

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
