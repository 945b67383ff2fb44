"""Benchmark: AMI ingestion, our client vs panoramisk's Manager with a sync callback, same run.

    python bench/ami_bench.py [--copies 300] [--chunk 4093] [--shared ../shared]

A local server logs each client in, then streams the Asterisk side of every shared AMI capture
(banners stripped) ``--copies`` times, written in odd-sized chunks so messages and UTF-8
characters are split across reads, plus one caller-name event with "张伟 Müller" per copy.
Reported per client: events/s from the first byte to the last event handled, whether events
came in wire order, and how many caller names arrived intact. Both clients run the same sync
callback; a third run adds the service's call tracker to show the real ingestion path.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.ami.client import AmiClient, AmiConfig  # noqa: E402
from callcenter.ami.codec import AmiDecoder, Message  # noqa: E402
from callcenter.calls.tracker import CallTracker  # noqa: E402

NAME = "张伟 Müller"
SECRET = "bench-secret"


def build_stream(shared: Path, copies: int, split_every: int = 0) -> tuple[list[bytes], int]:
    """The stream as parts written with a pause between them; with ``split_every`` N, every Nth
    caller-name event is cut inside "伟", so the reader sees the character split across reads."""
    body = bytearray()
    count = 0
    for path in sorted((shared / "fixtures" / "asterisk" / "ami").glob("*.rx.bin")):
        data = path.read_bytes()
        data = data.split(b"\r\n", 1)[1]  # banner
        body += data
        count += sum(1 for m in AmiDecoder(expect_banner=False).feed(data) if m.kind == "event")
    marker = f"Event: Newchannel\r\nChannel: PJSIP/x\r\nCallerIDName: {NAME}\r\nUniqueid: 1.1\r\n\r\n".encode()
    one = bytes(body)
    cut = marker.index("伟".encode()) + 1
    parts: list[bytes] = []
    stream = bytearray()
    for i in range(copies):
        if split_every and i % split_every == 0:
            parts += [bytes(stream + one + marker[:cut])]
            stream = bytearray(marker[cut:])
        else:
            stream += one + marker
        stream += f"Event: BenchSeq\r\nSeq: {i}\r\n\r\n".encode()
    parts.append(bytes(stream + b"Event: BenchDone\r\n\r\n"))
    return parts, copies * (count + 2) + 1


async def serve(stream: list[bytes], chunk: int) -> tuple[asyncio.Server, int, asyncio.Event]:
    started = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await talk(reader, writer)
        except (asyncio.CancelledError, ConnectionError):
            writer.close()

    async def talk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        decoder = AmiDecoder(expect_banner=False)
        challenge = "1234"
        while data := await reader.read(4096):
            for msg in decoder.feed(data):
                aid = msg.get("ActionID") or ""
                action = (msg.get("Action") or "").lower()
                if action == "challenge":
                    writer.write(f"Response: Success\r\nActionID: {aid}\r\nChallenge: {challenge}\r\n\r\n".encode())
                elif action == "login":
                    writer.write(f"Response: Success\r\nActionID: {aid}\r\nMessage: Authentication accepted"
                                 "\r\n\r\n".encode())
                    await writer.drain()
                    await started.wait()
                    for part in stream:
                        for i in range(0, len(part), chunk):
                            writer.write(part[i : i + chunk])
                            if i % (chunk * 64) == 0:
                                await writer.drain()
                        await writer.drain()
                        if len(stream) > 1:
                            await asyncio.sleep(0.05)  # the reader sees the cut as two reads
                else:
                    writer.write(f"Response: Success\r\nActionID: {aid}\r\n\r\n".encode())
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], started


class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.names_ok = 0
        self.names_bad = 0
        self.last_seq = -1
        self.in_order = True
        self.done = asyncio.Event()
        self.t_end = 0.0

    def on(self, event: str, get: object) -> None:
        self.count += 1
        if event == "Newchannel" and get("Channel") == "PJSIP/x":  # type: ignore[operator]
            if get("CallerIDName") == NAME:  # type: ignore[operator]
                self.names_ok += 1
            else:
                self.names_bad += 1
        elif event == "BenchSeq":
            seq = int(get("Seq"))  # type: ignore[operator]
            self.in_order &= seq == self.last_seq + 1
            self.last_seq = seq
        elif event == "BenchDone":
            self.t_end = time.perf_counter()
            self.done.set()


async def run_ours(stream: list[bytes], chunk: int, with_tracker: bool = False) -> tuple[Sink, float]:
    server, port, started = await serve(stream, chunk)
    sink = Sink()
    tracker = CallTracker()

    def handle(m: Message) -> None:
        sink.on(m.name or "", m.get)
        if with_tracker:
            tracker.feed(m, received_at=datetime.now(UTC))  # live: stamped on receipt

    client = AmiClient(AmiConfig(host="127.0.0.1", port=port, secret=SECRET, ping_interval=3600), handle)
    task = asyncio.create_task(client.run())
    await client.connected.wait()
    t0 = time.perf_counter()
    started.set()
    await sink.done.wait()
    await client.stop()
    task.cancel()
    server.close()
    return sink, sink.t_end - t0


async def run_panoramisk(stream: list[bytes], chunk: int) -> tuple[Sink, float]:
    from panoramisk import Manager

    server, port, started = await serve(stream, chunk)
    sink = Sink()
    manager = Manager(host="127.0.0.1", port=port, username="zhitong", secret=SECRET, ping_delay=3600,
                      loop=asyncio.get_running_loop())
    manager.register_event("*", lambda mgr, e: sink.on(e.event, e.get))
    await manager.connect()
    while not manager.authenticated:
        await asyncio.sleep(0.01)
    t0 = time.perf_counter()
    started.set()
    await sink.done.wait()
    manager.close()
    server.close()
    return sink, sink.t_end - t0


def report(label: str, sink: Sink, seconds: float, expected: int) -> float:
    rate = sink.count / seconds
    print(f"{label:<34} {sink.count:>8} events ({expected} sent) in {seconds:6.3f} s = {rate:>10,.0f} ev/s; "
          f"in order: {sink.in_order}; names intact {sink.names_ok}, mangled {sink.names_bad}")
    return rate


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--copies", type=int, default=300)
    p.add_argument("--chunk", type=int, default=4093)
    p.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = p.parse_args()
    utf8, _ = build_stream(args.shared, 10, split_every=1)
    stream, expected = build_stream(args.shared, args.copies)
    size = sum(map(len, stream))
    print(f"stream: {size / 1e6:.1f} MB, {expected} events, written in {args.chunk}-byte chunks")
    ours_sink, ours_s = await run_ours(stream, args.chunk)
    pano_sink, pano_s = await run_panoramisk(stream, args.chunk)
    full_sink, full_s = await run_ours(stream, args.chunk, with_tracker=True)
    ours = report("zhitong AmiClient (ordered dispatch)", ours_sink, ours_s, expected)
    pano = report("panoramisk 1.4 Manager (sync cb)", pano_sink, pano_s, expected)
    report("zhitong AmiClient + CallTracker", full_sink, full_s, expected)
    print(f"speed-up (same callback): {ours / pano:.2f}x")
    ours_u, _ = await run_ours(utf8, args.chunk)
    pano_u, _ = await run_panoramisk(utf8, args.chunk)
    print(f"UTF-8 split inside a character, 10 times: zhitong intact {ours_u.names_ok}/10, "
          f"panoramisk intact {pano_u.names_ok}/10 (mangled {pano_u.names_bad})")


if __name__ == "__main__":
    asyncio.run(main())
