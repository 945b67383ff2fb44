"""The simulator's AMI sends a manager user what Asterisk sends it: the user's read classes and event
filters (manager.conf), parsed and applied as main/manager.c does; by default the app's user in the
shipped docker/asterisk/conf/manager.conf."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.pbxsim import SCENARIOS
from callcenter.pbxsim.event_classes import event_class, privilege
from callcenter.pbxsim.manager_user import (
    CLASSES,
    READ_ALL,
    SHIPPED,
    EventFilter,
    ManagerConfError,
    ManagerUser,
    parse_filter,
    parse_manager_conf,
    read_classes,
)
from tests.test_pbxsim_scenarios import harness, settle

SHIPPED_CONF = Path(__file__).resolve().parents[1] / "docker" / "asterisk" / "conf" / "manager.conf"


def ev(name: str, *headers: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Event", name), ("Privilege", privilege(name)), *headers]


def test_the_simulator_applies_what_the_shipped_manager_conf_says() -> None:
    assert parse_manager_conf(SHIPPED_CONF.read_text(), "zhitong") == SHIPPED


@pytest.mark.parametrize(("name", "read"), [
    ("Newchannel", True), ("Hangup", True), ("Cdr", True), ("AGIExecStart", True), ("UserEvent", True),
    ("DTMFEnd", True), ("QueueCallerJoin", True), ("FullyBooted", True), ("OriginateResponse", True),
    ("VarSet", False), ("Newexten", False), ("HangupHandlerRun", False),  # dialplan: not read
    ("SuccessfulAuth", False),  # security
    ("RTCPSent", False),  # reporting
    ("DeviceStateChange", False),  # call, but filtered out
])
def test_the_app_user_reads_its_classes_minus_its_filters(name: str, read: bool) -> None:
    assert SHIPPED.reads(ev(name)) is read


def test_a_filter_drops_an_event_of_a_class_the_user_reads() -> None:
    unfiltered = ManagerUser(read=SHIPPED.read)
    assert event_class("DeviceStateChange") == "call" and unfiltered.reads(ev("DeviceStateChange"))
    assert not SHIPPED.reads(ev("DeviceStateChange"))


def test_an_event_without_a_known_class_is_refused_loudly() -> None:
    with pytest.raises(KeyError):
        event_class("NoSuchEvent")


def test_read_classes() -> None:
    assert read_classes("system, Call,agent,bogus") == {"system", "call", "agent"}
    assert read_classes("all") == CLASSES == READ_ALL.read
    assert read_classes("") == frozenset()


def test_include_and_exclude_filters_combine_as_in_asterisk() -> None:
    hangup, varset = ev("Hangup", ("Cause", "16")), ev("VarSet", ("Variable", "X"))
    include = EventFilter(exclude=False, method="none", name="Hangup")
    exclude = EventFilter(exclude=True, pattern="16", method="exact", header="Cause:")
    assert ManagerUser(READ_ALL.read, (include,)).reads(hangup)  # include only: must match one
    assert not ManagerUser(READ_ALL.read, (include,)).reads(varset)
    assert not ManagerUser(READ_ALL.read, (exclude,)).reads(hangup)  # exclude only: must match none
    assert ManagerUser(READ_ALL.read, (exclude,)).reads(varset)
    assert not ManagerUser(READ_ALL.read, (include, exclude)).reads(hangup)  # both: include, then exclude
    assert ManagerUser(READ_ALL.read, (include, exclude)).reads(ev("Hangup", ("Cause", "17")))


def test_filters_parse_like_manager_add_filter() -> None:
    assert parse_filter("eventfilter(action(exclude),name(VarSet))", "") == \
        EventFilter(exclude=True, method="none", name="VarSet")
    assert parse_filter("eventfilter", "!Event: Newexten") == EventFilter(exclude=True, pattern="Event: Newexten")
    legacy = parse_filter("eventfilter", "Event: (Hangup|Cdr)")
    assert legacy.matches(ev("Cdr")) and not legacy.matches(ev("Newstate"))
    header = parse_filter("eventfilter(name(UserEvent),header(UserEvent),method(starts_with))", "Zhitong")
    assert header == EventFilter(exclude=False, pattern="Zhitong", method="starts_with", name="UserEvent",
                                 header="UserEvent:")
    assert header.matches(ev("UserEvent", ("UserEvent", "ZhitongRecording")))
    assert not header.matches(ev("UserEvent", ("UserEvent", "CallerStep")))
    # action() wins over a leading "!"
    assert not parse_filter("eventfilter(action(include),name(Cdr))", "!x").exclude


@pytest.mark.parametrize(("criteria", "pattern"), [
    ("eventfilter", ""),  # a legacy filter needs a pattern
    ("eventfilter(action(maybe))", "x"),
    ("eventfilter(colour(red))", "x"),
    ("eventfilter(name(VarSet),method(none))", "x"),  # none with a pattern
    ("eventfilter(name(VarSet),method(exact))", ""),  # a method without a pattern
    ("eventfilter(action(exclude))", ""),  # nothing to match on
])
def test_filters_asterisk_refuses_are_refused(criteria: str, pattern: str) -> None:
    with pytest.raises(ManagerConfError):
        parse_filter(criteria, pattern)


def test_sections_comments_and_other_users() -> None:
    conf = "[general]\nenabled = yes\n[other]\nread = all\n[zhitong] ; the app\nread => call,cdr ; comment\n" \
           "eventfilter = !Event: Cdr\n#include manager_secret.conf\n"
    user = parse_manager_conf(conf, "zhitong")
    assert user.read == {"call", "cdr"} and not user.reads(ev("Cdr")) and user.reads(ev("Hangup"))
    assert parse_manager_conf(conf, "nobody") == ManagerUser(read=frozenset())


async def test_the_simulated_pbx_raises_dialplan_events_that_only_a_read_all_user_gets() -> None:
    names = {}
    for user in (SHIPPED, READ_ALL):
        async with harness(manager_user=user) as h:
            await h.sim.run(SCENARIOS["ivr_leave_message"])
            names[user] = {m.name for m in await settle(h)}
            raised = {dict(e)["Event"] for e in h.sim.events}
        assert {"VarSet", "Newexten"} <= raised  # the PBX raises them whoever reads
    assert {"VarSet", "Newexten", "SuccessfulAuth"} <= names[READ_ALL]
    assert not {"VarSet", "Newexten", "SuccessfulAuth"} & names[SHIPPED]
    assert names[SHIPPED] == names[READ_ALL] - {"VarSet", "Newexten", "SuccessfulAuth"}
