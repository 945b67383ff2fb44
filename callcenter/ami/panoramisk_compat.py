"""panoramisk, fixed below its API: a drop-in protocol for ``panoramisk.Manager``.

panoramisk 1.4 decodes every TCP read on its own (``data.decode(encoding, 'ignore')``), so a
UTF-8 character split between two reads is silently dropped ("张伟" arrives as "张"). This
protocol keeps panoramisk's API (``Manager(protocol_factory=Utf8AMIProtocol)``) but frames and
decodes on bytes with our codec. The service itself uses :mod:`callcenter.ami.client`; this is
for code that wants panoramisk's Manager, and it is what the ingestion benchmark compares with.
"""

from __future__ import annotations

from typing import Any

from panoramisk import message as pmessage
from panoramisk.ami_protocol import AMIProtocol

from callcenter.ami.codec import AmiDecoder, AmiProtocolError, Message


def to_panoramisk(msg: Message) -> pmessage.Message:
    """Our message as panoramisk's (duplicate headers become a list, as panoramisk does)."""
    headers: dict[str, Any] = {}
    for key, value in msg.headers:
        if key in headers:
            previous = headers[key]
            headers[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            headers[key] = value
    return pmessage.Message(headers, "\n".join(msg.output) if msg.get("Response") == "Follows" else "")


class Utf8AMIProtocol(AMIProtocol):  # type: ignore[misc]
    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.decoder = AmiDecoder()

    def data_received(self, data: bytes) -> None:
        try:
            messages = self.decoder.feed(data)
        except AmiProtocolError:
            self.log.exception("AMI framing lost; closing")
            self.transport.close()
            return
        if self.version is None and self.decoder.banner:
            self.version = self.decoder.banner.partition("/")[2].strip()
        for msg in messages:
            if msg.kind in ("event", "response"):
                self.handle_message(to_panoramisk(msg))
