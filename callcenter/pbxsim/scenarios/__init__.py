"""Built-in scenarios (hotline demo and tests). Presses are per input command, in order."""

from __future__ import annotations

from callcenter.pbxsim.scenario import Scenario

IVR_LEAVE_MESSAGE = Scenario(
    name="ivr_leave_message", flow="inbound", agi_script="hotline",
    description="caller walks the hotline menu: presses 2, then 1 to leave a message, records (# ends), hangs up",
    presses=("2", "1", "#"), hangup_when_done=True,
)
IVR_WITHHELD_MESSAGE = Scenario(
    name="ivr_withheld_message", flow="inbound", agi_script="hotline", caller_num="anonymous", caller_name="Anonymous",
    description="a caller who withholds the number (SIP From anonymous) leaves a message: 2, 1, records, hangs up",
    presses=("2", "1", "#"), hangup_when_done=True,
)
IVR_NO_AGENT_MESSAGE = Scenario(
    name="ivr_no_agent_message", flow="inbound", agi_script="hotline", queue_status="JOINEMPTY",
    description="caller presses 0; no agent is logged in (QUEUESTATUS JOINEMPTY): told the agents are busy, "
                "leaves a message, hangs up",
    presses=("0", "#"), hangup_when_done=True,
)
IVR_HANGUP_MID_MENU = Scenario(
    name="ivr_hangup_mid_menu", flow="inbound", agi_script="hotline",
    description="caller hangs up at the first menu prompt",
    presses=("hangup",),
)
QUEUE_CALL = Scenario(
    name="queue_call", flow="queue", caller_num="13900139000", caller_name="Li Si",
    description="call joins hotline-q, agent answers after 2 s, talks 5 s, agent hangs up",
)
ORIGINATE_BUSY = Scenario(name="originate_busy", flow="originate", originate="busy",
                          description="callback: the called party is busy (Reason 5)")
ORIGINATE_NO_ANSWER = Scenario(name="originate_no_answer", flow="originate", originate="no_answer",
                               description="callback: rings until the originate timeout (Reason 3)")
ORIGINATE_ANSWERED = Scenario(
    name="originate_answered", flow="originate", originate="answered", agi_script="survey",
    variables=(("ZT_ORDER_NUMBER", "20261123-0001"),), presses=("1",), hangup_when_done=True,
    description="callback answered: satisfaction survey over FastAGI, caller presses 1",
)
FAX_RECEIVED = Scenario(name="fax_received", flow="fax", did="12399", caller_num="02088886666",
                        caller_name="Fax Sender", description="one-page fax received (FAXStatus, ReceiveFAX)")
AUDIOSOCKET_CALL = Scenario(name="audiosocket_call", flow="audiosocket",
                            description="caller audio streamed over AudioSocket, DTMF 5, caller hangs up")

ALL: dict[str, Scenario] = {s.name: s for s in (
    IVR_LEAVE_MESSAGE, IVR_WITHHELD_MESSAGE, IVR_NO_AGENT_MESSAGE, IVR_HANGUP_MID_MENU, QUEUE_CALL, ORIGINATE_BUSY,
    ORIGINATE_NO_ANSWER, ORIGINATE_ANSWERED, FAX_RECEIVED, AUDIOSOCKET_CALL,
)}
