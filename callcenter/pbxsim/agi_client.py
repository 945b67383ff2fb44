"""FastAGI, Asterisk side: connect to the FastAGI server, send the agi_* block, answer commands.

Like Asterisk, the socket stays open until the server closes it; the transcript keeps every line.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

from callcenter.pbxsim.agi_commands import AgiChannelSim
from callcenter.pbxsim.channel import Channel


@dataclass
class AgiTranscript:
    commands: list[str] = field(default_factory=list)  # lines the FastAGI server sent
    replies: list[str] = field(default_factory=list)  # lines we answered (HANGUP included)
    header: bytes = b""
    closed_by_server: bool = False


def header_block(ch: Channel, host: str, port: int, script: str, args: tuple[str, ...] | list[str]) -> bytes:
    """The block exactly as Asterisk 22 writes it (keys and order of agi/*.headers.json); an empty
    caller number or name is "unknown" there (res_agi.c), not AMI's "<unknown>"."""
    pairs = [
        ("network", "yes"), ("network_script", script), ("request", f"agi://{host}:{port}/{script}"),
        ("channel", ch.name), ("language", "en"), ("type", ch.name.partition("/")[0]),
        ("uniqueid", ch.uniqueid), ("version", "22.10.1"), ("callerid", ch.caller_num or "unknown"),
        ("calleridname", ch.caller_name or "unknown"), ("callingpres", "0"), ("callingani2", "0"), ("callington", "0"),
        ("callingtns", "0"), ("dnid", "unknown"), ("rdnis", "unknown"), ("context", ch.context),
        ("extension", ch.exten), ("priority", str(ch.priority)), ("enhanced", "0.0"),
        ("accountcode", ch.account_code), ("threadid", str(threading.get_ident())),
        *((f"arg_{i}", a) for i, a in enumerate(args, 1)),
    ]
    return ("".join(f"agi_{k}: {v}\n" for k, v in pairs) + "\n").encode("utf-8")


async def run_fastagi(host: str, port: int, sim: AgiChannelSim, script: str, args: tuple[str, ...] = (),
                      *, timeout: float = 30.0) -> AgiTranscript:
    """One AGI() application run; returns when the server closes the socket (or on timeout)."""
    out = AgiTranscript(header=header_block(sim.ch, host, port, script, args))
    sim.ch.application, sim.ch.app_data = "AGI", f"agi://{host}:{port}/{script}" + "".join("," + a for a in args)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(out.header)
        await writer.drain()
        while True:
            raw = await asyncio.wait_for(reader.readline(), timeout)
            if not raw.endswith(b"\n"):
                out.closed_by_server = True
                break
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if not line:
                continue
            out.commands.append(line)
            lines = await sim.handle(line)
            out.replies.extend(lines)
            writer.write("".join(x + "\n" for x in lines).encode("utf-8"))
            await writer.drain()
    except (ConnectionError, OSError):
        out.closed_by_server = True
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    return out
