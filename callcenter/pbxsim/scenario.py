"""Scenario data: one simulated call, described as plain values (no dependency on IVR internals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Flow = Literal["inbound", "queue", "originate", "fax", "audiosocket"]
Outcome = Literal["answered", "busy", "no_answer", "congestion", "invalid"]


@dataclass(frozen=True)
class Scenario:
    """``presses``: one entry per input AGI command (GET DATA, STREAM FILE with escape digits,
    GET OPTION, WAIT FOR DIGIT, RECORD FILE), see :class:`callcenter.pbxsim.caller.Caller`.

    After the FastAGI server closes the socket the dialplan goes on: ``ZT_NEXT=agent`` (set by the
    script) sends the call to the queue, anything else hangs up.
    """

    name: str
    flow: Flow = "inbound"
    description: str = ""
    # Who calls, and what they dialled. ``caller_num`` "" = no caller ID at all (AMI shows
    # "<unknown>", agi_callerid "unknown"); a withheld SIP caller is "anonymous" / "Anonymous".
    trunk: str = "PJSIP/hotline-trunk"
    did: str = "12345"
    context: str = "hotline-in"
    caller_num: str = "13800138000"
    caller_name: str = "Zhang San"
    # FastAGI.
    agi_script: str | None = None
    agi_args: tuple[str, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()
    presses: tuple[str, ...] = ()
    hangup_after: int | None = None
    hangup_when_done: bool = False
    # Queue. ``queue_status`` "" = an agent answers; else Queue() returns without one and sets
    # QUEUESTATUS to it (JOINEMPTY, JOINUNAVAIL, FULL: at once; TIMEOUT after ``queue_wait_s``;
    # LEAVEEMPTY, LEAVEUNAVAIL: after a moment in the queue), and the dialplan offers a message.
    queue: str = "hotline-q"
    queue_status: str = ""
    queue_wait_s: float = 120.0
    agent: str = "PJSIP/agent1001"
    agent_name: str = "Agent 1001"
    ring_s: float = 2.0
    talk_s: float = 5.0
    # Originate (callback): what the dialled party does.
    originate: Outcome = "answered"
    dial: str = "PJSIP/13800138000@trunk"
    ring_timeout_s: float = 30.0
    # Fax. ``fax_file``: the TIFF the sender transmits (written into the simulator's ``fax_dir``,
    # as Asterisk's ReceiveFAX writes its spool); ``fax_failed``: the transfer breaks off (no pages).
    fax_pages: int = 1
    fax_file: str | None = None
    fax_failed: bool = False
    # AudioSocket: seconds of caller audio and the digit pressed part-way.
    audio_s: float = 1.0
    audio_dtmf: str | None = "5"
    # Caller speech for AudioSocket: a mono 16-bit WAV (8 kHz, or 16 kHz downsampled); else a tone.
    audio_file: str | None = None
    # Real seconds per scenario second (0 = as fast as possible); the simulator's own setting wins if set.
    time_scale: float | None = None
