"""The simulated PBX plays the shipped dialplan as Asterisk 22 does (the whole streams are compared
with the real PBX by tests/pbx/test_parity.py): callbacks as Local channel pairs named by the app's
ChannelId, the live-transcription spy leg beside every queued call, the fax hangup handler; and the
app's call tracker makes the right records of them."""

from __future__ import annotations

from dataclasses import replace

from callcenter.ami.codec import Message
from callcenter.calls.tracker import CallTracker
from callcenter.pbxsim import SCENARIOS
from tests.test_pbxsim_scenarios import harness, settle


def survey_originate(channel_id: str, phone: str = "13900000011") -> list[tuple[str, str]]:
    """What the app's dialer sends (callcenter/callbacks/dialer.py)."""
    return [("Channel", f"Local/{phone}@outbound"), ("Context", "survey-out"), ("Exten", "s"), ("Priority", "1"),
            ("Async", "true"), ("ChannelId", channel_id), ("CallerID", "12345"), ("Timeout", "30000"),
            ("Variable", "ZT_ORDER_NUMBER=GD-42")]


def records(events: list[Message]) -> list[dict]:
    tracker = CallTracker()
    for m in events:
        tracker.feed(m)
    return tracker.records()


async def test_an_answered_callback_is_a_local_pair_named_by_the_channel_id() -> None:
    async with harness() as h:
        h.sim.expect_originate(SCENARIOS["originate_answered"])
        await h.ami.send("Originate", survey_originate("cb-1"), "o1")
        await h.ami.until(lambda m: m.name == "OriginateResponse")
        await h.ami.until(lambda m: m.name == "Hangup" and (m.get("Channel") or "").startswith("PJSIP/carrier"))
        events = await settle(h)
    chans = {m.get("Uniqueid"): m.get("Channel") for m in events if m.name == "Newchannel"}
    assert list(chans) == ["cb-1", "cb-1;2", next(iter(set(chans) - {"cb-1", "cb-1;2"}))]
    assert chans["cb-1"].endswith(";1") and chans["cb-1;2"].endswith(";2")
    assert {m.get("Linkedid") for m in events if m.name == "Newchannel"} == {"cb-1"}
    done = next(m for m in events if m.name == "OriginateResponse")
    assert (done.get("Response"), done.get("Reason"), done.get("Uniqueid"), done.get("Channel")) == (
        "Success", "4", "cb-1", chans["cb-1"])
    assert [m.get("Uniqueid") for m in events if m.name == "DTMFEnd"] == [*list(chans)[::-1]]  # callee, ;2, ;1
    assert [m.name for m in events if m.name.startswith("Bridge")] == [
        "BridgeCreate", "BridgeEnter", "BridgeEnter", "BridgeLeave", "BridgeLeave", "BridgeDestroy"]
    assert sorted(m.get("UniqueID") for m in events if m.name == "Cdr") == ["cb-1", "cb-1;2"]  # no callee CDR
    (record,) = records(events)
    assert (record["linkedid"], record["originate"]["reason"], record["dtmf"]) == ("cb-1", 4, "1")


async def test_a_busy_callee_fails_the_originate_with_the_channel_id() -> None:
    async with harness() as h:
        h.sim.expect_originate(SCENARIOS["originate_busy"])
        await h.ami.send("Originate", survey_originate("cb-2", "13900000017"), "o2")
        done = await h.ami.until(lambda m: m.name == "OriginateResponse")
        await h.ami.until(lambda m: m.name == "NewCallerid" and m.get("Uniqueid") == "cb-2")  # after its Hangup
        events = await settle(h)
    assert (done.get("Response"), done.get("Reason"), done.get("Uniqueid"), done.get("Channel")) == (
        "Failure", "5", "cb-2", "Local/13900000017@outbound")
    callee = next(m for m in events if m.name == "Hangup" and (m.get("Channel") or "").startswith("PJSIP/"))
    assert (callee.get("Cause"), callee.get("TechCause")) == ("17", "486")
    assert [m.get("DialStatus") for m in events if m.name == "DialEnd"] == ["BUSY", "BUSY"]
    assert [m.get("LastApplication") for m in events if m.name == "Cdr" and m.get("UniqueID") == "cb-2;2"] == [
        "Dial", "Busy"]
    (record,) = records(events)
    assert (record["disposition"], record["originate"]["reason"]) == ("BUSY", 5)


async def test_a_queued_call_gets_a_spy_leg_that_streams_it_and_is_not_a_call() -> None:
    async with harness() as h:
        res = await h.sim.run(replace(SCENARIOS["queue_call"], audio_s=0.5))
        events = await settle(h)
    (frames,) = h.audio
    announced = next(m for m in events if m.name == "UserEvent" and m.get("UserEvent") == "ZhitongAudioSocket")
    assert announced.get("Uniqueid") == res.uniqueid and str(frames[0].uuid) == announced.get("UUID")
    token = (announced.get("UUID") or "").replace("-", "")
    spy = [m for m in events if m.name == "Newchannel" and "@zt-live-spy-" in (m.get("Channel") or "")]
    assert [m.get("Channel", "")[-2:] for m in spy] == [";1", ";2"]
    assert {m.get("Exten") for m in spy} == {token} and {m.get("Linkedid") for m in spy} == {spy[0].get("Uniqueid")}
    start = next(m for m in events if m.name == "ChanSpyStart")
    assert (start.get("SpyerUniqueid"), start.get("SpyeeUniqueid")) == (spy[1].get("Uniqueid"), res.uniqueid)
    (record,) = records(events)  # the spy leg is no call of its own
    assert record["linkedid"] == res.linkedid and record["queue"]["agent"] == "Agent 1001"
    assert record["audiosocket"] == announced.get("UUID") and record["recordings"] == [
        f"/var/spool/asterisk/zhitong/recordings/call-{res.uniqueid}.wav"]


async def test_without_an_audiosocket_server_the_spy_leg_ends_and_the_call_goes_on() -> None:
    async with harness(audiosocket_target=None) as h:
        await h.sim.run(SCENARIOS["queue_call"])
        events = await settle(h)
    names = [m.name for m in events]
    assert "ChanSpyStart" not in names and "AgentConnect" in names
    spy = [m for m in events if m.name == "Hangup" and "@zt-live-spy-" in (m.get("Channel") or "")]
    assert len(spy) == 2 and events.index(spy[-1]) < names.index("QueueCallerJoin")


async def test_the_fax_result_comes_from_the_hangup_handler() -> None:
    async with harness() as h:
        res = await h.sim.run(SCENARIOS["fax_received"])
        events = await settle(h)
    mine = [m for m in events if m.get("Uniqueid") == res.uniqueid]
    names = [m.name for m in mine]
    assert names.index("ReceiveFAX") < names.index("SoftHangupRequest") < names.index("UserEvent") < names.index(
        "Hangup")
    result = mine[names.index("UserEvent")]
    assert (result.get("UserEvent"), result.get("Context"), result.get("Status")) == ("FaxResult", "fax-result",
                                                                                       "SUCCESS")
    assert mine[names.index("Hangup")].get("Context") == "fax-in"
