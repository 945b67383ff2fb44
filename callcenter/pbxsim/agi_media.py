"""Media AGI commands (prompts, DTMF input, recording): what the simulated caller does during them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from callcenter.pbxsim import events as ev
from callcenter.pbxsim.caller import HANGUP, Caller
from callcenter.pbxsim.channel import Channel
from callcenter.pbxsim.voice import write_recording

ENDPOS = 11234  # what hello-world reported in the capture; the value is not meaningful


class MediaCommands:
    ch: Channel
    caller: Caller
    emit: Callable[[ev.Pairs], None]
    step_delay: float
    dtmf_path: list[Channel]  # where a key travels: the caller's own channel, or callee, ;2, ;1
    voice: bytes | None = None  # what the caller says into RECORD FILE (8 kHz slin)

    def hang_up(self, *, by_agi: bool = False) -> None:
        raise NotImplementedError


    async def _press(self) -> str:
        if self.step_delay:
            await asyncio.sleep(self.step_delay)
        press = self.caller.next_press()
        if press == HANGUP:
            self.hang_up()
        return press

    def _dtmf(self, digits: str) -> None:
        for d in digits:
            self.caller.pressed.append(d)
            for ch in self.dtmf_path:
                self.emit(ev.dtmf_begin(ch, d))
            for ch in self.dtmf_path:
                self.emit(ev.dtmf_end(ch, d))

    async def _stream_file(self, name: str, escape: str, *_: str) -> str:
        press = await self._press() if escape else ""
        if press == HANGUP:
            return "200 result=-1 endpos=0"
        self.emit(ev.varset(self.ch, "PLAYBACKSTATUS", "SUCCESS"))
        if press:
            self._dtmf(press[0])
            if press[0] in escape:
                return f"200 result={ord(press[0])} endpos={ENDPOS // 2}"
        return f"200 result=0 endpos={ENDPOS}"

    _control_stream_file = _stream_file
    _get_option = _stream_file

    async def _wait_for_digit(self, *_: str) -> str:
        press = await self._press()
        if press == HANGUP:
            return "200 result=-1"
        if press:
            self._dtmf(press[0])
            return f"200 result={ord(press[0])}"
        return "200 result=0"

    async def _get_data(self, name: str, timeout: str = "", max_digits: str = "", *_: str) -> str:
        press = await self._press()
        if press == HANGUP:
            return "200 result=-1"
        limit = int(max_digits) if max_digits.isdigit() and int(max_digits) > 0 else 255
        digits = press.partition("#")[0][:limit]
        ended = "#" in press[: len(digits) + 1] or len(digits) == limit
        self._dtmf(digits + ("#" if "#" in press[: len(digits) + 1] else ""))
        return f"200 result={digits}" if ended and digits else f"200 result={digits} (timeout)"

    async def _record_file(self, name: str, fmt: str, escape: str, timeout: str, *_: str) -> str:
        if self.voice:  # the caller speaks: the file exists afterwards, as with Asterisk
            write_recording(Path(f"{name}.{fmt}"), self.voice)
        press = await self._press()
        if press == HANGUP:
            return f"200 result=-1 (hangup) endpos={ENDPOS}"
        if press:
            self._dtmf(press[0])
            if press[0] in escape:
                return f"200 result={ord(press[0])} (dtmf) endpos={ENDPOS * 4}"
        return f"200 result=0 (timeout) endpos={ENDPOS * 4}"
