"""WeCom's flat XML (``<xml><Tag>value</Tag>…</xml>``), read without trusting it.

A document type, an entity declaration or an entity reference other than XML's five is refused
before it can expand (the "billion laughs" bomb); so are nesting beyond what WeCom sends, and
documents over a size limit. Only the root's direct children are kept (a dict of tag → text);
``<Item>``-style nested content is flattened as text.
"""

from __future__ import annotations

from typing import Any
from xml.parsers import expat

MAX_XML_BYTES = 64 << 10
MAX_DEPTH = 4


class UnsafeXml(Exception):
    error_id = "wecom-bad-xml"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def parse_flat(data: bytes, *, limit: int = MAX_XML_BYTES) -> dict[str, str]:
    if len(data) > limit:
        raise UnsafeXml("the XML document is too large")
    fields: dict[str, str] = {}
    stack: list[str] = []
    text: list[str] = []
    parser = expat.ParserCreate()

    def refuse(*_: Any) -> None:
        raise UnsafeXml("document types and entities are not accepted")

    def start(name: str, _attrs: Any) -> None:
        if len(stack) >= MAX_DEPTH:
            raise UnsafeXml("the XML is nested too deeply")
        stack.append(name)
        if len(stack) == 2:
            text.clear()

    def end(name: str) -> None:
        if len(stack) == 2:
            fields[name] = "".join(text).strip()
        stack.pop()

    def chars(data: str) -> None:
        if len(stack) >= 2:
            text.append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise UnsafeXml(f"not well-formed XML: {expat.ErrorString(exc.code)}") from None
    return fields


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def envelope(encrypt: str, signature: str, timestamp: str, nonce: str) -> str:
    """An encrypted message as WeCom sends (and, for passive replies, expects) it."""
    return (f"<xml><Encrypt>{cdata(encrypt)}</Encrypt><MsgSignature>{cdata(signature)}</MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>")
