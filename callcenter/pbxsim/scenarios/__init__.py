"""Built-in scenarios (hotline demo and tests). Presses are per input command, in order."""

from __future__ import annotations

from callcenter.pbxsim.scenario import Scenario

IVR_LEAVE_MESSAGE = Scenario(
    name="ivr_leave_message", flow="inbound", agi_script="hotline",
    description="caller walks the hotline menu: presses 2, then 1 to leave a message, records (# ends), hangs up",
    presses=("2", "1", "#"), hangup_when_done=True,
)
IVR_LEAVE_MESSAGE_WITHHELD = Scenario(
    name="ivr_leave_message_withheld", flow="inbound", agi_script="hotline", presses=("2", "1", "#"),
    caller_num="anonymous", caller_name="Anonymous", hangup_when_done=True,
    description="a caller who withholds the number leaves a message (the trunk says anonymous)",
)
IVR_WITHHELD_MESSAGE = IVR_LEAVE_MESSAGE_WITHHELD  # the name the caller-ID tests use
IVR_AGENT_CALL = Scenario(
    name="ivr_agent_call", flow="inbound", agi_script="hotline", presses=("0",), caller_num="13900139001",
    description="caller presses 0 at the menu: queue, agent answers after 2 s, talks 5 s, hangs up",
)
IVR_ORDER_QUERY = Scenario(
    name="ivr_order_query", flow="inbound", agi_script="hotline", presses=("4", "202611230001#", "1"),
    description="caller presses 4, keys in an order number and #, hears its status, then 1 (goodbye)",
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
    name="queue_call", flow="queue", did="12347", caller_num="13900139000", caller_name="Li Si",
    description="live transcription line: joins hotline-q, agent answers after 2 s, talks 5 s, agent hangs up",
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
FAX_RECEIVED = Scenario(name="fax_received", flow="fax", did="12346", caller_num="02088886666",
                        caller_name="Fax Sender", description="one-page fax received (FAXStatus, ReceiveFAX)")
AUDIOSOCKET_CALL = Scenario(
    name="audiosocket_call", flow="queue", did="12347", audio_dtmf="5",
    description="live transcription line: the spy leg streams the caller audio over AudioSocket (and a DTMF 5)",
)

ALL: dict[str, Scenario] = {s.name: s for s in (
    IVR_LEAVE_MESSAGE, IVR_LEAVE_MESSAGE_WITHHELD, IVR_NO_AGENT_MESSAGE, IVR_AGENT_CALL, IVR_ORDER_QUERY,
    IVR_HANGUP_MID_MENU, QUEUE_CALL, ORIGINATE_BUSY, ORIGINATE_NO_ANSWER, ORIGINATE_ANSWERED, FAX_RECEIVED,
    AUDIOSOCKET_CALL,
)}
