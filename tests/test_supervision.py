"""The yellow/red card sweep and the monthly unit flags."""

from __future__ import annotations

from tests.domain_helpers import AGENT, SYSTEM, at, handler, new_order, policy
from worksheet import commands as c
from worksheet.lifecycle import handle
from worksheet.model import CardColor
from worksheet.supervision import new_flags, sweep, unit_flags

POL = policy()
MON = at("2026-11-02T09:00:00")


def _dispatched(number: str, unit: str = "zjj", when=MON):  # type: ignore[no-untyped-def]
    o = new_order(when, POL, number=number)
    o, _ = handle(c.Dispatch(actor=AGENT, lead_unit=unit), o, when, POL)
    return o


def _apply(order, issue, now):  # type: ignore[no-untyped-def]
    cmd = c.IssueCard(actor=SYSTEM, color=issue.color, clock=issue.clock, cycle=issue.cycle)
    return handle(cmd, order, now, POL)[0]


def test_yellow_then_red_one_working_day_later_and_idempotent() -> None:
    o = _dispatched("20261102-0001")
    # 7 working days from Mon 2026-11-02 → Wed 2026-11-11 23:59:59.
    assert sweep([o], at("2026-11-11T23:59:59"), POL) == []
    t1 = at("2026-11-12T08:00:00")
    issues = sweep([o], t1, POL)
    assert [(i.color, i.unit) for i in issues] == [(CardColor.YELLOW, "zjj")]
    o = _apply(o, issues[0], t1)
    assert sweep([o], t1, POL) == []  # running it twice issues nothing new
    assert sweep([o], at("2026-11-13T23:59:59"), POL) == []  # red is due at the end of Fri 11-13
    t2 = at("2026-11-14T09:00:00")
    reds = sweep([o], t2, POL)
    assert [i.color for i in reds] == [CardColor.RED]
    o = _apply(o, reds[0], t2)
    assert sweep([o], at("2026-12-30T09:00:00"), POL) == []


def test_a_reply_stops_supervision() -> None:
    o = _dispatched("20261102-0002")
    u = handler()
    o, _ = handle(c.Accept(actor=u), o, MON, POL)
    o, _ = handle(c.Reply(actor=u, content="已办理"), o, at("2026-11-10T09:00:00"), POL)
    assert sweep([o], at("2026-11-20T09:00:00"), POL) == []


def test_two_yellows_in_a_month_flag_an_interview_once() -> None:
    t = at("2026-11-12T08:00:00")
    orders = [_dispatched(f"20261102-000{i}") for i in range(1, 4)]
    first = _apply(orders[0], sweep([orders[0]], t, POL)[0], t)
    previous = list(first.cards)
    rest = [_apply(o, sweep([o], t, POL)[0], t) for o in orders[1:]]
    raised = new_flags(previous, [k for o in rest for k in o.cards])
    assert [(f.unit, f.month, f.flag, f.cards) for f in raised] == [("zjj", "2026-11", "interview", 3)]
    all_cards = previous + [k for o in rest for k in o.cards]
    assert new_flags(all_cards, []) == []
    assert [f.flag for f in unit_flags(all_cards, "2026-11")] == ["interview"]
    assert unit_flags(all_cards, "2026-10") == []
