"""The parity test's normal form (tests/pbx/streams.py) keeps what it promises to compare: a stream
that differs in an event, a header or a channel's order is told apart; prompt lengths and digits are
not."""

from __future__ import annotations

from tests.pbx.streams import Event, collect, differences, normalise

BLOCK = ("ChannelState", "ChannelStateDesc", "CallerIDNum", "Context", "Exten", "Priority")


def chan(name: str, channel: str, uid: str, linked: str, **extra: str) -> Event:
    return {"Event": name, "Privilege": "call,all", "Channel": channel, **dict.fromkeys(BLOCK, "x"),
            "Uniqueid": uid, "Linkedid": linked, **extra}


def agent_call(digits: str = "0", prompts: int = 2) -> list[Event]:
    caller, spy1, spy2 = ("PJSIP/carrier-1", "1.1"), ("Local/ab12@zt-live-spy-1;1", "1.2"), ("Local/ab12@zt-live-spy-1;2", "1.3")
    agi = [chan(n, *caller, "1.1", Command="STREAM FILE x") for _ in range(prompts) for n in ("AGIExecStart", "AGIExecEnd")]
    keys = [chan(n, *caller, "1.1", Digit=d) for d in digits for n in ("DTMFBegin", "DTMFEnd")]
    return [
        chan("Newchannel", *caller, "1.1"), chan("Newchannel", "PJSIP/other-9", "9.9", "9.9"),
        *agi[:1], *keys, *agi[1:],
        chan("UserEvent", *caller, "1.1", UserEvent="ZhitongAudioSocket", UUID="ab-12"),
        chan("Newchannel", spy1[0], spy1[1], "1.2", Exten="ab12"), chan("Newchannel", spy2[0], spy2[1], "1.2"),
        {"Event": "BridgeCreate", "BridgeUniqueid": "b1"},
        chan("BridgeEnter", *caller, "1.1", BridgeUniqueid="b1"),
        {"Event": "QueueMemberStatus", "Interface": "PJSIP/agent1001"},
        {"Event": "QueueMemberStatus", "Interface": "PJSIP/agent1002"},
        chan("AgentCalled", *caller, "1.1", Interface="PJSIP/agent1001"),
        {"Event": "Cdr", "UniqueID": "1.1", "Channel": caller[0]},
        chan("Hangup", "PJSIP/other-9", "9.9", "9.9"), chan("Hangup", spy2[0], spy2[1], "1.2"),
        chan("Hangup", *caller, "1.1"), {"Event": "BridgeDestroy", "BridgeUniqueid": "b1"},
        {"Event": "QueueMemberStatus", "Interface": "PJSIP/agent1001"},  # after the call: another's
    ]


def test_a_call_is_cut_out_with_its_spy_leg_and_bridge_but_not_other_calls() -> None:
    mine = collect(agent_call(), "1.1")
    assert {e.get("Uniqueid") for e in mine} == {"1.1", "1.2", "1.3", None}
    # a member's status counts for a member the call rang, between the call's first and last event
    assert [(e["Event"], e.get("Interface")) for e in mine if "Uniqueid" not in e] == [
        ("BridgeCreate", None), ("QueueMemberStatus", "PJSIP/agent1001"), ("Cdr", None), ("BridgeDestroy", None)]
    assert collect(agent_call(), "nope") == []


def test_digits_and_prompt_counts_do_not_matter_but_order_does() -> None:
    a, b = normalise(collect(agent_call("0", 2), "1.1")), normalise(collect(agent_call("4209#", 9), "1.1"))
    assert differences(a, b) == []
    assert a.sequences["0:PJSIP"][:3] == ["Newchannel", "AGI", "UserEvent/ZhitongAudioSocket"]
    assert a.unordered["counts"] == {"Cdr 0:PJSIP": 1}
    swapped = agent_call()
    i, j = (next(i for i, e in enumerate(swapped) if e["Event"] == n) for n in ("BridgeEnter", "AgentCalled"))
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert any("channel 0:PJSIP" in line for line in differences(a, normalise(collect(swapped, "1.1"))))


def test_a_missing_event_and_a_header_set_are_reported() -> None:
    real = normalise(collect(agent_call(), "1.1"))
    events = [e for e in agent_call() if e["Event"] != "BridgeDestroy"]
    for e in events:
        if e["Event"] == "Hangup":
            e["TechCause"] = "486"
    diff = differences(real, normalise(collect(events, "1.1")))
    assert "missing event BridgeDestroy" in diff
    assert any(line.startswith("Hangup: headers Asterisk never sends together (extra ['TechCause']") for line in diff)


def test_a_hangup_request_is_counted_not_placed_but_must_come_before_the_hangup() -> None:
    caller = ("PJSIP/carrier-1", "1.1", "1.1")
    request = chan("HangupRequest", *caller, Cause="16")
    call = [chan("Newchannel", *caller), chan("Newstate", *caller), request, chan("Hangup", *caller)]
    raced = [call[0], request, call[1], call[3]]  # another thread asked earlier: the same call
    late = [call[0], call[1], call[3], request]
    assert differences(normalise(call), normalise(raced)) == []
    assert normalise(call).unordered["counts"] == {"HangupRequest 0:PJSIP": 1}
    assert normalise(late).unordered["counts"] == {"HangupRequest 0:PJSIP after Hangup": 1}
    assert differences(normalise(call), normalise(late))
