"""What an AMI Originate asks the simulated PBX for, and the parts every way of dialling shares:
how a refused dial ends, the failed OriginateResponse, what the answered channel runs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from callcenter.ami.codec import Message
from callcenter.pbxsim import events as ev
from callcenter.pbxsim.call import Call
from callcenter.pbxsim.channel import Channel


@dataclass(frozen=True)
class Failure:
    reason: int  # OriginateResponse Reason (Asterisk's AST_CONTROL_* of the outcome)
    cause: int  # Q.850 cause of the callee's channel
    tech_cause: int | None  # the SIP response behind it
    dial_status: str
    disposition: str
    fallback: str  # what outbound-result plays on the ;2 half


FAILURES = {
    "busy": Failure(5, 17, ev.SIP_BUSY, "BUSY", "BUSY", "Busy"),
    "congestion": Failure(8, 34, ev.SIP_UNAVAILABLE, "CONGESTION", "CONGESTION", "Congestion"),
}
_CALLERID = re.compile(r'\s*"?([^"<]*?)"?\s*<([^>]*)>\s*')


@dataclass
class Request:
    """What an Originate action asks for (or a self-run scenario, with its own defaults)."""

    dial: str
    target: list[tuple[str, str]]  # [(Context, ..), (Exten, ..)] or [(Application, ..), (Data, ..)]
    caller_num: str
    caller_name: str
    timeout_s: float
    channel_id: str | None
    other_channel_id: str | None
    variables: list[tuple[str, str]]
    app: str | None
    data: str


def request(call: Call, msg: Message | None) -> Request:
    sc = call.sc
    get = msg.get if msg is not None else (lambda _name, default=None: default)
    app = get("Application")
    target = [("Application", app), ("Data", get("Data") or "")] if app else [
        ("Context", get("Context") or "survey-out"), ("Exten", get("Exten") or "s")]
    num, name = sc.caller_num, sc.caller_name
    cid = get("CallerID") or ""
    if m := _CALLERID.fullmatch(cid):
        name, num = m.group(1).strip() or name, m.group(2) or num
    elif cid:
        num, name = cid, "<unknown>"
    variables = list(sc.variables)
    for value in msg.get_all("Variable") if msg is not None else []:
        for item in value.split(","):
            key, sep, val = item.partition("=")
            if sep and key.strip():
                variables.append((key.strip(), val))
    timeout = float(get("Timeout") or sc.ring_timeout_s * 1000) / 1000
    return Request(get("Channel") or sc.dial, target, num, name, timeout, get("ChannelId"), get("OtherChannelId"),
                   variables, app, get("Data") or "")


def failed(call: Call, req: Request, action_id: str | None, reason: int) -> bool:
    """A failed Originate names the dial string, and the channel only by the ChannelId it was given."""
    call.result.originate_reason = reason
    call.emit(ev.originate_response(action_id, False, req.dial, req.target, reason, req.channel_id or "<unknown>",
                                    req.caller_num, req.caller_name))
    return False


async def run_target(call: Call, req: Request, ch: Channel, dtmf_path: list[Channel]) -> None:
    """The Originate's application, or its context (the survey's AGI) on the answered channel."""
    for k, v in req.variables:
        call.emit(ev.varset(ch, k, v))
    sc = call.sc
    script, args = sc.agi_script, sc.agi_args
    if req.app and req.app.upper() == "AGI":
        parts = req.data.split(",")
        script, args = parts[0].rpartition("/")[2] or script, tuple(parts[1:])
    if req.app and req.app.upper() != "AGI":
        call.step(ch, req.app, req.data)
        await call.pause(2.0)
        return
    if not req.app:
        target = dict(req.target)
        call.goto(ch, target["Context"], target["Exten"])
        if target["Context"] == "survey-out":
            call.step(ch, "NoOp", "Survey callback")
            call.step(ch, "Set", "CDR(userfield)=survey")
            ch.variables["CDR(userfield)"] = "survey"
            call.step(ch, "Answer")
    if script:
        await call.agi(ch, script, args, dtmf_path=dtmf_path)
        call.step(ch, "NoOp", "AGISTATUS")


