"""Dialplan flows of the simulated hotline, after the shipped docker/asterisk/conf/extensions.conf:
calls from the trunk (``from-trunk``) to the IVR (``hotline-in``), the fax line (``fax-in``) and
the live transcription line (``hotline-transcribe``); the queue and its spy leg are in
callcenter.pbxsim.live (a queue that gives up: callcenter.pbxsim.queue), callbacks in callcenter.pbxsim.originate.

Every dialplan step raises its ``Newexten`` (and ``Set`` its ``VarSet``), as Asterisk does; the
``dialplan`` class is not read by the shipped manager user, so the app never sees them.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import PurePosixPath

from callcenter.pbxsim import events as ev
from callcenter.pbxsim.call import Call
from callcenter.pbxsim.channel import Channel
from callcenter.pbxsim.live import queue

RECDIR = "/var/spool/asterisk/zhitong/recordings"  # ZT_RECDIR in the shipped dialplan
FAX_SPOOL = "/var/spool/asterisk/zhitong/fax"  # ZT_FAXDIR
FAX_STATION = "ZHITONG-HOTLINE"  # ZT_FAX_STATIONID


def inbound_leg(call: Call, context: str) -> Channel:
    """A call from the trunk to the scenario's DID; ``from-trunk`` sends it to ``context``."""
    sc = call.sc
    ch = call.open(sc.trunk, state=4, caller_num=sc.caller_num, caller_name=sc.caller_name,
                   context="from-trunk", exten=sc.did)
    for k, v in sc.variables:  # what the scenario says the dialplan (or its globals) holds
        call.emit(ev.varset(ch, k, v))
    if context == "hotline-in":
        set_var(call, ch, "__ZT_DNIS", sc.did)
    call.step(ch, "Goto", f"{context},s,1")
    call.goto(ch, context)
    return ch


def set_var(call: Call, ch: Channel, name: str, value: str) -> None:
    call.step(ch, "Set", f"{name}={value}")
    call.emit(ev.varset(ch, name.lstrip("_"), value))


def answer_and_record(call: Call, ch: Channel, userfield: str = "hotline") -> None:
    """Answer, CDR(userfield), MixMonitor of the whole call and the UserEvent that names its file."""
    call.step(ch, "Answer")
    call.answer(ch)
    call.step(ch, "Set", f"CDR(userfield)={userfield}")
    ch.variables["CDR(userfield)"] = userfield
    path = f"{ch.variables.get('ZT_RECDIR', RECDIR)}/call-{ch.uniqueid}.wav"
    set_var(call, ch, "ZT_CALL_RECORDING", path)
    call.step(ch, "MixMonitor", path)
    call.emit(ev.varset(ch, "MIXMONITOR_FILENAME", path))
    call.emit(ev.chan_event("MixMonitorStart", ch))
    call.step(ch, "UserEvent", f"ZhitongRecording,File: {path}")
    call.emit(ev.user_event(ch, "ZhitongRecording", [("File", path)]))


async def inbound(call: Call) -> None:
    """hotline-in: answer, record, the hotline AGI, then what its ZT_NEXT says."""
    ch = inbound_leg(call, "hotline-in")
    call.step(ch, "NoOp", f"Hotline call from {ch.caller_num} to {call.sc.did}")
    answer_and_record(call, ch)
    set_var(call, ch, "ZT_NEXT", "")
    if call.sc.agi_script:
        await call.agi(ch, call.sc.agi_script, call.sc.agi_args)
    await after_agi(call, ch)


async def after_agi(call: Call, ch: Channel) -> None:
    """What the dialplan does once the FastAGI server has closed the socket."""
    if call.dead:  # the caller hung up during the script
        call.end(ch, 16)
    elif ch.variables.get("ZT_NEXT", "").lower() == "agent":
        await queue(call, ch)
    else:  # ZT_NEXT=hangup (agi-fail's apology for anything else is not simulated)
        call.step(ch, "Hangup", "16")
        call.end(ch, 16, soft=True)
    call.finish(ch)


async def live_line(call: Call) -> None:
    """hotline-transcribe (DID 12347): straight to the agents, recorded and transcribed live."""
    ch = inbound_leg(call, "hotline-transcribe")
    answer_and_record(call, ch)
    call.step(ch, "Goto", "hotline-queue,s,1")
    await queue(call, ch)
    call.finish(ch)


async def fax(call: Call) -> None:
    """fax-in: ReceiveFAX into the spool; the fax-result hangup handler announces the outcome."""
    sc = call.sc
    ch = inbound_leg(call, "fax-in")
    call.step(ch, "NoOp", f"Inbound fax from {ch.caller_num}")
    call.step(ch, "Set", "CDR(userfield)=fax")
    ch.variables["CDR(userfield)"] = "fax"
    path = f"{FAX_SPOOL}/fax-{ch.uniqueid}.tif"
    set_var(call, ch, "ZT_FAX_FILE", path)
    call.step(ch, "Set", "CHANNEL(hangup_handler_push)=fax-result,s,1")
    call.step(ch, "Answer")
    call.answer(ch)
    call.step(ch, "Set", f"FAXOPT(localstationid)={FAX_STATION}")
    call.step(ch, "Set", "FAXOPT(headerinfo)=Zhitong hotline")
    call.step(ch, "ReceiveFAX", f"{path},f")
    for status in ("Allocating Resources", "FAX Transmission In Progress"):
        call.emit(ev.fax_status(ch, "receive", status, FAX_STATION, path))
    await call.pause(10.0)
    pages = 0 if sc.fax_failed else sc.fax_pages
    if not sc.fax_failed and sc.fax_file and call.sim.fax_dir is not None:
        # Asterisk writes the spool file before ReceiveFAX reports; the app reads it by its name.
        await asyncio.to_thread(shutil.copyfile, sc.fax_file, call.sim.fax_dir / PurePosixPath(path).name)
    call.emit(ev.receive_fax(ch, FAX_STATION, sc.caller_num, pages, path))
    call.step(ch, "NoOp", "RECEIVEFAX status")
    call.step(ch, "Hangup")
    call.emit(ev.hangup_request(ch, 16, soft=True))
    # The hangup handler runs after the soft hangup, in its own context, then the channel is gone.
    where = (ch.context, ch.priority, ch.application, ch.app_data)
    call.goto(ch, "fax-result")
    result = [("Status", "FAILED"), ("StatusStr", "Disconnected after permitted retries"), ("Error", "RETRY_ERROR")] \
        if sc.fax_failed else [("Status", "SUCCESS"), ("StatusStr", "OK"), ("Error", "")]
    call.step(ch, "UserEvent", "FaxResult")
    call.emit(ev.user_event(ch, "FaxResult", [*result, ("Pages", str(pages)), ("Rate", "14400"), ("File", path)]))
    ch.context, ch.priority, ch.application, ch.app_data = where
    call.hang_up(ch, 16)
    call.cdr(ch)
    call.finish(ch)
