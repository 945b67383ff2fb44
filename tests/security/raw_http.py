"""Requests no HTTP client library will send: raw bytes over a socket to a test server."""

from __future__ import annotations

import asyncio


async def raw_request(port: int, head: bytes, *, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send ``head`` (request line and headers, without the blank line) with ``Connection: close``;
    return the status and the whole response (headers and body) as bytes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data
