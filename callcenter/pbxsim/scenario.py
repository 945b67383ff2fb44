"""Scenario data: one simulated call, described as plain values (no dependency on IVR internals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The shipped dialplan's entries: inbound = the IVR (12345), queue = the live transcription line
# straight to the agents (12347), fax = the fax line (12346), originate = a callback.
Flow = Literal["inbound", "queue", "originate", "fax"]
Outcome = Literal["answered", "busy", "no_answer", "congestion", "invalid"]


@dataclass(frozen=True)
class Scenario:
    """``presses``: one entry per input AGI command (GET DATA, STREAM FILE with escape digits,
    GET OPTION, WAIT FOR DIGIT, RECORD FILE), see :class:`callcenter.pbxsim.caller.Caller`.

    After the FastAGI server closes the socket the dialplan goes on: ``ZT_NEXT=agent`` (set by the
    script) sends the call to the queue, anything else hangs up. Every call that reaches the queue
    gets the live-transcription spy leg, which streams the caller audio (``audio_file``, else a
    tone of ``audio_s``) to the simulator's AudioSocket target.
    """

    name: str
    flow: Flow = "inbound"
    description: str = ""
    # Who calls, and what they dialled. ``caller_num`` "" = no caller ID at all (AMI shows
    # "<unknown>", agi_callerid "unknown"); a withheld SIP caller is "anonymous" / "Anonymous".
    trunk: str = "PJSIP/carrier"  # the shipped trunk endpoint
    did: str = "12345"
    caller_num: str = "13800138000"  # a withheld number arrives as "anonymous" / "Anonymous"
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
    agent: str = "PJSIP/agent1001"  # the member's interface (queues.conf)
    agent_name: str = "Agent 1001"
    agent_num: str = "1001"  # the agent phone's caller id
    ring_s: float = 2.0
    talk_s: float = 5.0
    # Originate (callback): what the dialled party does.
    originate: Outcome = "answered"
    dial: str = "Local/13800138000@outbound"  # the app's callback channel
    ring_timeout_s: float = 30.0
    # Fax. ``fax_file``: the TIFF the sender transmits (written into the simulator's ``fax_dir``,
    # as Asterisk's ReceiveFAX writes its spool); ``fax_failed``: the transfer breaks off (no pages).
    fax_pages: int = 1
    fax_file: str | None = None
    fax_failed: bool = False
    # The spy leg's AudioSocket stream: seconds of tone when there is no ``audio_file``, and a DTMF
    # frame part-way (ChanSpy forwards no keys: only for exercising an AudioSocket server).
    audio_s: float = 1.0
    audio_dtmf: str | None = None
    # Caller speech for AudioSocket: a mono 16-bit WAV (8 kHz, or 16 kHz downsampled); else a tone.
    audio_file: str | None = None
    # Real seconds per scenario second (0 = as fast as possible); the simulator's own setting wins if set.
    time_scale: float | None = None
