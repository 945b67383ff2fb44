"""The class (manager.conf read class, the ``Privilege`` header) of each AMI event, as Asterisk
22.10.1 raises it: the ``EVENT_FLAG_*`` its ``manager_event()`` / ``ast_manager_event_blob_create()``
call passes (documented as ``<managerEventInstance class=...>`` next to it). Where: main/manager_channels.c
(channel events, ``Newexten`` and ``VarSet`` are ``dialplan``), main/manager_bridges.c, main/core_local.c,
apps/app_queue.c, apps/app_mixmonitor.c, res/res_agi.c, res/res_fax.c, cdr/cdr_manager.c,
cel/cel_manager.c, main/security_events.c, main/stasis_endpoints.c, main/asterisk.c, main/manager.c.
"""

from __future__ import annotations

_BY_CLASS = {
    "call": (
        "Newchannel", "Newstate", "NewCallerid", "NewConnectedLine", "NewAccountCode", "Hangup", "HangupRequest",
        "SoftHangupRequest", "Rename", "DialBegin", "DialState", "DialEnd", "BridgeCreate", "BridgeEnter",
        "BridgeLeave", "BridgeDestroy", "BridgeMerge", "BlindTransfer", "AttendedTransfer", "LocalBridge",
        "LocalOptimizationBegin", "LocalOptimizationEnd", "MusicOnHoldStart", "MusicOnHoldStop",
        "MixMonitorStart", "MixMonitorStop", "MixMonitorMute", "ChanSpyStart", "ChanSpyStop", "FAXStatus",
        "ReceiveFAX", "SendFAX", "OriginateResponse", "Hold", "Unhold", "Pickup", "DeviceStateChange", "CEL",
        "CoreShowChannel", "CoreShowChannelsComplete", "Status", "StatusComplete", "MessageWaiting",
    ),
    "dialplan": ("Newexten", "VarSet", "HangupHandlerPush", "HangupHandlerPop", "HangupHandlerRun"),
    "agent": (
        "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "QueueMemberStatus", "QueueMemberAdded",
        "QueueMemberRemoved", "QueueMemberPause", "QueueMemberPenalty", "QueueMemberRinginuse", "AgentCalled",
        "AgentConnect", "AgentComplete", "AgentRingNoAnswer", "AgentDump", "AgentLogin", "AgentLogoff",
    ),
    "agi": ("AGIExecStart", "AGIExecEnd", "AsyncAGIStart", "AsyncAGIExec", "AsyncAGIEnd"),
    "dtmf": ("DTMFBegin", "DTMFEnd"),
    "user": ("UserEvent",),
    "cdr": ("Cdr",),
    "reporting": ("RTCPSent", "RTCPReceived", "FAXSession", "FAXStats"),
    "system": ("FullyBooted", "Shutdown", "Reload", "Load", "Unload", "PeerStatus", "ContactStatus", "Registry"),
    "security": (
        "SuccessfulAuth", "FailedACL", "InvalidAccountID", "InvalidPassword", "ChallengeSent",
        "ChallengeResponseFailed", "RequestNotAllowed", "RequestBadFormat", "SessionLimit",
    ),
}
EVENT_CLASSES: dict[str, str] = {name: cls for cls, names in _BY_CLASS.items() for name in names}


def event_class(name: str) -> str:
    """``call``, ``dialplan``...; KeyError for an event the simulator has no class for (add it here
    from the Asterisk source rather than guess)."""
    return EVENT_CLASSES[name]


def privilege(name: str) -> str:
    """The ``Privilege`` header Asterisk writes (main/manager.c authority_to_str of the class, then all)."""
    return f"{event_class(name)},all"
