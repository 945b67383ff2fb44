"""Dialplan flows of the simulated hotline: inbound IVR, queue (callcenter.pbxsim.queue), fax, AudioSocket."""

from __future__ import annotations

import asyncio
import shutil
import uuid as _uuid
from pathlib import PurePosixPath

from callcenter.pbxsim import events as ev
from callcenter.pbxsim.audiosocket_client import stream_call, tone
from callcenter.pbxsim.call import Call
from callcenter.pbxsim.channel import Channel
from callcenter.pbxsim.queue import queue
from callcenter.pbxsim.voice import caller_audio

RECDIR = "/var/spool/asterisk/monitor"
FAX_SPOOL = "/var/spool/asterisk/zhitong/fax"  # ZT_FAXDIR in docker/asterisk/conf/extensions.conf


def inbound_leg(call: Call) -> Channel:
    sc = call.sc
    ch = call.open(sc.trunk, state=4, caller_num=sc.caller_num, caller_name=sc.caller_name,
                   context=sc.context, exten=sc.did)
    for k, v in sc.variables:
        call.emit(ev.varset(ch, k, v))
    call.step(ch, "NoOp", f"Hotline inbound call from {sc.caller_num}")
    call.step(ch, "Answer")
    call.answer(ch)
    return ch


def start_mixmonitor(call: Call, ch: Channel) -> None:
    path = f"{RECDIR}/mix-{ch.uniqueid}.wav"
    call.step(ch, "MixMonitor", path)
    call.emit(ev.varset(ch, "MIXMONITOR_FILENAME", path))
    call.emit(ev.chan_event("MixMonitorStart", ch))


async def after_agi(call: Call, ch: Channel) -> None:
    """What the dialplan does once the FastAGI server has closed the socket."""
    if call.dead:
        call.close(ch, 16)
    elif ch.variables.get("ZT_NEXT", "").lower() == "agent":
        await queue(call, ch)
    else:
        call.step(ch, "Hangup", "16")
        call.close(ch, 16, soft=True)
    call.finish(ch)


async def inbound(call: Call) -> None:
    ch = inbound_leg(call)
    start_mixmonitor(call, ch)
    if call.sc.agi_script:
        await call.agi(ch, call.sc.agi_script, call.sc.agi_args)
    await after_agi(call, ch)


async def queue_flow(call: Call) -> None:
    ch = inbound_leg(call)
    start_mixmonitor(call, ch)
    await queue(call, ch)
    call.finish(ch)


async def fax(call: Call) -> None:
    sc = call.sc
    ch = inbound_leg(call)
    path = f"{FAX_SPOOL}/fax-{ch.uniqueid}.tif"
    call.step(ch, "ReceiveFAX", f"{path},f")
    for status in ("Allocating Resources", "FAX Transmission In Progress"):
        call.emit(ev.fax_status(ch, "receive", status, "ZHITONG", path))
    await call.pause(10.0)
    pages = 0 if sc.fax_failed else sc.fax_pages
    if not sc.fax_failed and sc.fax_file and call.sim.fax_dir is not None:
        # Asterisk writes the spool file before ReceiveFAX reports; the app reads it by its name.
        await asyncio.to_thread(shutil.copyfile, sc.fax_file, call.sim.fax_dir / PurePosixPath(path).name)
    call.emit(ev.receive_fax(ch, "ZHITONG", sc.caller_num, pages, path))
    # The hangup handler's UserEvent (see docker/asterisk/conf/extensions.conf [fax-result]).
    result = [("Status", "FAILED"), ("StatusStr", "Disconnected after permitted retries"), ("Error", "RETRY_ERROR")] \
        if sc.fax_failed else [("Status", "SUCCESS"), ("StatusStr", "OK"), ("Error", "")]
    call.emit(ev.user_event(ch, "FaxResult", [*result, ("Pages", str(pages)), ("Rate", "14400"), ("File", path)]))
    call.step(ch, "Hangup", "16")
    call.close(ch, 16, soft=True)
    call.finish(ch)


async def audiosocket(call: Call) -> None:
    sc = call.sc
    ch = inbound_leg(call)
    call_uuid = _uuid.uuid4()
    call.step(ch, "Set", "AS_UUID=${UUID()}")
    call.emit(ev.varset(ch, "AS_UUID", str(call_uuid)))
    target = call.sim.audiosocket_target
    if target is not None:
        host, port = target
        call.step(ch, "AudioSocket", f"{call_uuid},{host}:{port}")
        try:
            pcm = caller_audio(sc.audio_file) if sc.audio_file else tone(sc.audio_s)
            call.result.audiosocket = await stream_call(
                host, port, pcm, call_uuid=call_uuid, dtmf=sc.audio_dtmf,
                dtmf_at_s=sc.audio_s / 2, realtime=(1.0 / call.scale) if call.scale else 0.0,
            )
        except OSError as exc:
            call.result.error = f"AudioSocket: {exc!r}"
        if sc.audio_dtmf:
            for pairs in ev.dtmf(ch, sc.audio_dtmf):
                call.emit(pairs)
    call.emit(ev.hangup_request(ch, 16))
    call.close(ch, 16)
    call.finish(ch)
