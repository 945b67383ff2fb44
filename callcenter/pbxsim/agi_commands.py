"""How Asterisk answers each FastAGI command on one channel (reply text + the AMI events it causes)."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable

from callcenter.pbxsim import events as ev
from callcenter.pbxsim.agi_media import MediaCommands
from callcenter.pbxsim.caller import Caller
from callcenter.pbxsim.channel import Channel
from ivr.agi.codec import AgiProtocolError, parse_command

DEAD_OK = {"GET VARIABLE", "GET FULL VARIABLE", "SET VARIABLE", "VERBOSE", "HANGUP", "NOOP", "EXEC",
           "DATABASE GET", "DATABASE PUT", "DATABASE DEL", "DATABASE DELTREE", "ASYNCAGI BREAK"}
MIN_ARGS = {"STREAM FILE": 2, "CONTROL STREAM FILE": 2, "GET DATA": 1, "RECORD FILE": 4, "SET VARIABLE": 2,
            "GET VARIABLE": 1, "GET FULL VARIABLE": 1, "WAIT FOR DIGIT": 1, "GET OPTION": 2, "EXEC": 1,
            "SAY DIGITS": 2, "SAY NUMBER": 2, "SET CONTEXT": 1, "SET EXTENSION": 1, "SET PRIORITY": 1}
SIMPLE = {"ANSWER": "200 result=0", "VERBOSE": "200 result=1", "NOOP": "200 result=0", "SAY DIGITS": "200 result=0",
          "SAY NUMBER": "200 result=0", "SAY ALPHA": "200 result=0", "SET CALLERID": "200 result=1",
          "SET MUSIC": "200 result=0", "CHANNEL STATUS": "200 result=6", "DATABASE PUT": "200 result=1",
          "DATABASE GET": "200 result=0", "DATABASE DEL": "200 result=1", "SET AUTOHANGUP": "200 result=0"}
USAGE = ["520-Invalid command syntax.  Proper usage follows:", "Usage text (simulated).", "520 End of proper usage."]
DEAD_REPLY = "511 Command Not Permitted on a dead channel or intercept routine"
_VAR_RE = re.compile(r"\$\{([^}]*)\}")


class AgiChannelSim(MediaCommands):
    """State of the channel an AGI script drives; ``handle(line)`` -> reply lines, emitting events."""

    def __init__(self, ch: Channel, caller: Caller, emit: Callable[[ev.Pairs], None], *,
                 step_delay: float = 0.0, dtmf_path: list[Channel] | None = None) -> None:
        self.ch, self.caller, self.emit, self.step_delay = ch, caller, emit, step_delay
        self.dtmf_path = dtmf_path or [ch]
        self.dead = False
        self.hangup_by_agi = False
        self._notice_pending = False
        self.count = 0

    def hang_up(self, *, by_agi: bool = False) -> None:
        if self.dead:
            return
        self.dead, self._notice_pending, self.hangup_by_agi = True, True, by_agi
        self.emit(ev.hangup_request(self.ch, 32 if by_agi else 16, soft=by_agi))

    async def handle(self, line: str) -> list[str]:
        self.count += 1
        notice = self._notice_pending  # a hangup before this command: HANGUP precedes its reply
        cid = random.randint(1, 2**31 - 1)
        self.emit(ev.agi_start(self.ch, cid, line))
        lines = await self._reply(line)
        last = lines[-1]
        code = int(last[:3])
        result = {200: "Success", 520: "Usage"}.get(code, last[4:])
        self.emit(ev.agi_end(self.ch, cid, line, code, result))
        if notice:
            lines.insert(0, "HANGUP")
            self._notice_pending = False
        if self.caller.hangup_after is not None and self.count >= self.caller.hangup_after:
            self.hang_up()
        return lines

    async def _reply(self, line: str) -> list[str]:
        try:
            name, args = parse_command(line)
        except AgiProtocolError:
            return ["510 Invalid or unknown command"]
        name = name.upper()
        if len(args) < MIN_ARGS.get(name, 0):
            return list(USAGE)
        if self.dead and name not in DEAD_OK:
            return [DEAD_REPLY]
        if name in SIMPLE:
            if name == "ANSWER" and self.ch.state != 6:
                self.ch.state = 6
                self.emit(ev.chan_event("Newstate", self.ch))
            return [SIMPLE[name]]
        handler = getattr(self, "_" + name.lower().replace(" ", "_"), None)
        if handler is None:
            return ["510 Invalid or unknown command"]
        return [handler(*args) if not asyncio.iscoroutinefunction(handler) else await handler(*args)]

    # ------------------------------------------------------------------ variables

    def _get_variable(self, name: str, *_: str) -> str:
        value = self._lookup(name)
        return "200 result=0" if value is None else f"200 result=1 ({value})"

    def _get_full_variable(self, expr: str, *_: str) -> str:
        return f"200 result=1 ({_VAR_RE.sub(lambda m: self._lookup(m.group(1)) or '', expr)})"

    def _lookup(self, name: str) -> str | None:
        ch = self.ch
        builtin = {"CALLERID(num)": ch.caller_num, "CALLERID(name)": ch.caller_name, "CHANNEL": ch.name,
                   "UNIQUEID": ch.uniqueid, "EXTEN": ch.exten, "CONTEXT": ch.context,
                   "CHANNEL(uniqueid)": ch.uniqueid, "CHANNEL(linkedid)": ch.linkedid, "CHANNEL(name)": ch.name}
        return ch.variables.get(name, builtin.get(name))

    def _set_variable(self, name: str, value: str, *_: str) -> str:
        self.emit(ev.varset(self.ch, name, value))
        return "200 result=1"

    def _exec(self, app: str, data: str = "", *_: str) -> str:
        low = app.lower()
        if low == "userevent":
            uname, *fields = data.split(",")
            pairs = [(k.strip(), v.strip()) for k, _, v in (f.partition(":") for f in fields)]
            self.emit(ev.user_event(self.ch, uname, pairs))
        elif low == "set" and "=" in data:
            var, _, value = data.partition("=")
            self.emit(ev.varset(self.ch, var, value))
        elif low == "hangup":
            self.hang_up(by_agi=True)
        return "200 result=0"

    def _hangup(self, *_: str) -> str:
        self.hang_up(by_agi=True)
        return "200 result=1"

    def _set_context(self, value: str) -> str:
        self.ch.context = value
        return "200 result=0"

    def _set_extension(self, value: str) -> str:
        self.ch.exten = value
        return "200 result=0"

    def _set_priority(self, value: str) -> str:
        self.ch.priority = int(value) if value.isdigit() else 1
        return "200 result=0"
