"""Test doubles for the IVR routes: an in-memory HotlineDesk and a scripted fake Asterisk peer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ivr.ports import OrderStatusView

HEADERS = (
    "agi_network: yes\n"
    "agi_network_script: {script}\n"
    "agi_request: agi://127.0.0.1:4573/{script}\n"
    "agi_channel: PJSIP/trunk-00000007\n"
    "agi_language: en\n"
    "agi_uniqueid: 1795435368.7\n"
    "agi_callerid: 13800138000\n"
    "agi_calleridname: 张三\n"
    "{args}"
    "\n"
)
DEAD = "511 Command Not Permitted on a dead channel or intercept routine\n"


@dataclass
class FakeDesk:
    """In-memory HotlineDesk; ``fail`` names the method that raises."""

    orders: dict[str, OrderStatusView] = field(default_factory=dict)
    messages: list[dict] = field(default_factory=list)
    surveys: list[dict] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    fail: str | None = None

    def _maybe_fail(self, name: str) -> None:
        if self.fail == name:
            raise RuntimeError(f"{name}: database down")

    async def order_status(self, order_number: str) -> OrderStatusView | None:
        self.lookups.append(order_number)
        self._maybe_fail("order_status")
        return self.orders.get(order_number)

    async def leave_message(self, **kwargs) -> str:
        self._maybe_fail("leave_message")
        self.messages.append(kwargs)
        return f"20261123-{len(self.messages):04d}"

    async def record_survey(self, **kwargs) -> None:
        self._maybe_fail("record_survey")
        self.surveys.append(kwargs)


class FakeAsterisk:
    """Answers each command like Asterisk 22 (reply formats of the captures).

    ``inputs`` is consumed by GET DATA (digits, "" = timeout, "hangup"), by RECORD FILE (a full
    reply line, or "eof" to drop the connection) and by an interruptible STREAM FILE when the next
    input is "barge:<digit>". After a hang-up, the next reply is preceded by the ``HANGUP`` line
    and media commands get 511, as in agi-full-session.
    """

    def __init__(self, inputs: list[str], variables: dict[str, str] | None = None) -> None:
        self.inputs = list(inputs)
        self.variables = dict(variables or {})
        self.commands: list[str] = []
        self.hung_up = False
        self.announce_hangup = False

    def reply(self, line: str) -> str | None:
        media = line.startswith(("STREAM FILE", "GET DATA", "RECORD FILE", "ANSWER"))
        if self.hung_up:
            prefix = "HANGUP\n" if self.announce_hangup else ""
            self.announce_hangup = False
            return prefix + (DEAD if media else "200 result=1\n")
        if line.startswith("GET DATA"):
            got = self.inputs.pop(0)
            if got == "hangup":
                return self._hangup("200 result=-1\n")
            return "200 result= (timeout)\n" if got == "" else f"200 result={got}\n"
        if line.startswith("RECORD FILE"):
            got = self.inputs.pop(0)
            if got == "eof":
                return None
            return self._hangup(got + "\n") if "(hangup)" in got else got + "\n"
        if line.startswith("STREAM FILE"):
            escape = line.split()[3]
            if escape != '""' and self.inputs and self.inputs[0].startswith("barge:"):
                return f"200 result={ord(self.inputs.pop(0)[-1])} endpos=4000\n"
            return "200 result=0 endpos=11234\n"
        if line.startswith("GET FULL VARIABLE"):
            return "200 result=1 (1795435368.6)\n"
        if line.startswith("GET VARIABLE"):
            value = self.variables.get(line.split()[2])
            return "200 result=0\n" if value is None else f"200 result=1 ({value})\n"
        return "200 result=1\n" if line.startswith("SET VARIABLE") else "200 result=0\n"

    def _hangup(self, reply: str) -> str:
        self.hung_up = self.announce_hangup = True
        return reply

    async def call(self, port: int, script: str, *args: str, head: bytes | None = None) -> list[str]:
        """One call; returns the command lines the server sent (ends on the server's close or our EOF).

        ``head`` replaces the header block (a hostile or odd one)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        arg_lines = "".join(f"agi_arg_{i}: {a}\n" for i, a in enumerate(args, 1))
        writer.write(head if head is not None else HEADERS.format(script=script, args=arg_lines).encode())
        try:
            while raw := await asyncio.wait_for(reader.readline(), 5):
                line = raw.decode().rstrip("\n")
                self.commands.append(line)
                answer = self.reply(line)
                if answer is None:
                    break
                writer.write(answer.encode())
                await writer.drain()
        except ConnectionResetError:
            pass  # the server closed with replies of ours unread (after a fallback): the kernel resets
        finally:
            writer.close()
        return self.commands
