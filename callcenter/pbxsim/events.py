"""AMI event builders: header names, order and spelling copied from Asterisk 22.10.1 captures.

``Privilege`` is the event's class (callcenter.pbxsim.event_classes), which also decides which
manager users are sent it (callcenter.pbxsim.manager_user).
"""

from __future__ import annotations

from collections.abc import Iterable

from callcenter.pbxsim.channel import UNKNOWN, Channel, format_time
from callcenter.pbxsim.event_classes import privilege

Pairs = list[tuple[str, str]]

CAUSE_TXT = {
    0: "Unknown", 16: "Normal Clearing", 17: "User busy", 19: "User alerting, no answer",
    18: "No user responding", 21: "Call Rejected", 34: "Circuit/channel congestion",
}
# What chan_pjsip says for the SIP responses that end our dials (TechCause, next to the Q.850 Cause).
SIP_BUSY, SIP_NO_ANSWER, SIP_UNAVAILABLE = 486, 480, 503


def event(name: str, body: Iterable[tuple[str, str]]) -> Pairs:
    return [("Event", name), ("Privilege", privilege(name)), *body]


def chan_event(name: str, ch: Channel, *extra: tuple[str, str]) -> Pairs:
    """Newchannel, Newstate, MixMonitorStart/Stop, SoftHangupRequest... : channel block + extras."""
    return event(name, [*ch.block(), *extra])


def newexten(ch: Channel, app: str, data: str) -> Pairs:
    ch.application, ch.app_data = app, data
    return chan_event("Newexten", ch, ("Extension", ch.exten), ("Application", app), ("AppData", data))


def varset(ch: Channel, variable: str, value: str) -> Pairs:
    ch.variables[variable] = value
    return chan_event("VarSet", ch, ("Variable", variable), ("Value", value))


def new_callerid(ch: Channel) -> Pairs:
    pres = "32 (Presentation Prohibited, Not Screened)" if ch.caller_num == "anonymous" else \
        "0 (Presentation Allowed, Not Screened)"
    return chan_event("NewCallerid", ch, ("CID-CallingPres", pres))


def dtmf_begin(ch: Channel, digit: str) -> Pairs:
    return chan_event("DTMFBegin", ch, ("Digit", digit), ("Direction", "Received"))


def dtmf_end(ch: Channel, digit: str, duration_ms: int = 100) -> Pairs:
    return chan_event("DTMFEnd", ch, ("Digit", digit), ("DurationMs", str(duration_ms)), ("Direction", "Received"))


def agi_start(ch: Channel, command_id: int, command: str) -> Pairs:
    return chan_event("AGIExecStart", ch, ("CommandId", str(command_id)), ("Command", command))


def agi_end(ch: Channel, command_id: int, command: str, code: int, result: str) -> Pairs:
    return chan_event(
        "AGIExecEnd", ch, ("CommandId", str(command_id)), ("Command", command), ("ResultCode", str(code)),
        ("Result", result),
    )


def user_event(ch: Channel, name: str, fields: Iterable[tuple[str, str]]) -> Pairs:
    return chan_event("UserEvent", ch, ("UserEvent", name), *fields)


def queue_caller(name: str, ch: Channel, queue: str, position: int, count: int) -> Pairs:
    return chan_event(name, ch, ("Queue", queue), ("Position", str(position)), ("Count", str(count)))


def agent_event(name: str, caller: Channel, agent: Channel, queue: str, interface: str, member: str,
                *extra: tuple[str, str]) -> Pairs:
    """AgentCalled / AgentConnect / AgentComplete: caller block, Dest* agent block, queue fields."""
    body = [*caller.block(), *agent.block("Dest"), ("Queue", queue), ("Interface", interface), ("MemberName", member)]
    return event(name, [*body, *extra])


def hangup(ch: Channel, cause: int, tech_cause: int | None = None) -> Pairs:
    """``tech_cause``: the SIP response chan_pjsip got, when the far end ended the call with one."""
    tech = [("TechCause", str(tech_cause))] if tech_cause is not None else []
    return chan_event("Hangup", ch, ("Cause", str(cause)), ("Cause-txt", CAUSE_TXT.get(cause, "Unknown")), *tech)


def hangup_request(ch: Channel, cause: int, soft: bool = False, tech_cause: int | None = None) -> Pairs:
    """``soft``: ``cause`` is an AST_SOFTHANGUP_* flag (include/asterisk/channel.h), not Q.850."""
    tech = [("TechCause", str(tech_cause))] if tech_cause is not None else []
    return chan_event("SoftHangupRequest" if soft else "HangupRequest", ch, ("Cause", str(cause)), *tech)


def shutdown(restart: bool) -> Pairs:
    """main/asterisk.c really_quit(): published once the channels are gone ("Cleanly")."""
    return event("Shutdown", [("Shutdown", "Cleanly"), ("Restart", "True" if restart else "False")])


def cdr(ch: Channel, end: float, disposition: str, userfield: str = "", *, peer: str = "",
        app: tuple[str, str] | None = None) -> Pairs:
    """``peer``: the channel it dialled (DestinationChannel); ``app``: last application and data,
    when not the channel's own (the ``;1`` half of a Local pair reports ``AppDial2``)."""
    answer = ch.answered
    billable = int(end - answer) if answer is not None else 0
    last_app, last_data = app or (ch.application, ch.app_data)
    return event("Cdr", [
        ("AccountCode", ch.account_code),
        ("Source", ch.caller_num),
        ("Destination", ch.exten),
        ("DestinationContext", ch.context),
        ("CallerID", f'"{ch.caller_name if ch.caller_name != "<unknown>" else ""}" <{_num(ch.caller_num)}>'),
        ("Channel", ch.name),
        ("DestinationChannel", peer),
        ("LastApplication", last_app),
        ("LastData", last_data),
        ("StartTime", format_time(ch.created)),
        ("AnswerTime", format_time(answer) if answer is not None else ""),
        ("EndTime", format_time(end)),
        ("Duration", str(int(end - ch.created))),
        ("BillableSeconds", str(billable)),
        ("Disposition", disposition),
        ("AMAFlags", "DOCUMENTATION"),
        ("UniqueID", ch.uniqueid),
        ("UserField", userfield),
    ])


def _num(value: str) -> str:
    return "" if value == "<unknown>" else value


def originate_response(action_id: str | None, ok: bool, channel: str, target: Pairs, reason: int,
                       uniqueid: str, caller_num: str, caller_name: str) -> Pairs:
    """``target`` is [(Context, ..), (Exten, ..)] or [(Application, ..), (Data, ..)] as in the action."""
    head = [("ActionID", action_id)] if action_id is not None else []
    return event("OriginateResponse", [
        *head, ("Response", "Success" if ok else "Failure"), ("Channel", channel), *target,
        ("Reason", str(reason)), ("Uniqueid", uniqueid), ("CallerIDNum", caller_num or UNKNOWN),
        ("CallerIDName", caller_name or UNKNOWN),
    ])


def fax_status(ch: Channel, operation: str, status: str, station: str, filename: str) -> Pairs:
    return chan_event(
        "FAXStatus", ch,
        ("Operation", operation), ("Status", status), ("LocalStationID", station), ("FileName", filename),
    )


def receive_fax(ch: Channel, station: str, remote: str, pages: int, filename: str) -> Pairs:
    return chan_event(
        "ReceiveFAX", ch,
        ("LocalStationID", station), ("RemoteStationID", remote), ("PagesTransferred", str(pages)),
        ("Resolution", "8031x7700"), ("TransferRate", "14400"), ("FileName", filename),
    )


def list_item(name: str, ch: Channel, action_id: str | None, now: float) -> Pairs:
    """CoreShowChannel / Status list items (no Privilege on CoreShowChannel, ``Call`` on Status)."""
    secs = int(now - ch.created)
    aid = [("ActionID", action_id)] if action_id is not None else []
    if name == "CoreShowChannel":
        dur = f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
        return [("Event", name), *aid, *ch.block(), ("Application", ch.application),
                ("ApplicationData", ch.app_data), ("Duration", dur), ("BridgeId", "")]
    return [("Event", "Status"), ("Privilege", "Call"), *ch.block(), ("Type", ch.name.partition("/")[0]),
            ("DNID", ""), ("EffectiveConnectedLineNum", UNKNOWN), ("EffectiveConnectedLineName", UNKNOWN),
            ("TimeToHangup", "0"), ("BridgeID", ""), ("Application", ch.application), ("Data", ch.app_data),
            ("Nativeformats", "(ulaw)"), ("Readformat", "ulaw"), ("Readtrans", ""), ("Writeformat", "ulaw"),
            ("Writetrans", ""), ("Callgroup", "0"), ("Pickupgroup", "0"), ("Seconds", str(secs)), *aid]
