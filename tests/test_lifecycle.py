"""The 工单 lifecycle: every path of RULES.md §3, with the Yicheng preset's clocks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.domain_helpers import AGENT, SUPERVISOR, SYSTEM, at, handler, new_order, policy
from worksheet import commands as c
from worksheet.deadlines import deadlines
from worksheet.errors import InvalidTransition, NotPermitted, ValidationError, WindowClosed
from worksheet.evolve import replay
from worksheet.intake import NewOrder
from worksheet.lifecycle import create_order, handle
from worksheet.model import CardColor, Category, Channel, ClosureReason, Enterprise, Rating, Status

POL = policy()
MON = at("2026-11-23T09:00:00")  # a Monday


def run(order, *steps):  # type: ignore[no-untyped-def]
    for cmd, when in steps:
        order, _ = handle(cmd, order, when, POL)
    return order


def test_the_full_seed_path_return_extension_unsatisfied_redo_review_close() -> None:
    o = new_order(MON, POL)
    unit = handler("zjj")
    o = run(
        o,
        (c.Dispatch(actor=AGENT, lead_unit="zjj"), MON + timedelta(minutes=5)),
        (c.Return(actor=unit, reason="不属本单位职责", basis="《涪城区部门三定规定》"), MON + timedelta(hours=3)),
    )
    assert o.status == Status.RETURNED and o.return_reason == "不属本单位职责"
    other = handler("jtj")
    o = run(
        o,
        (c.Redispatch(actor=AGENT, lead_unit="jtj", co_units=("zjj",)), MON + timedelta(hours=4)),
        (c.Accept(actor=other), MON + timedelta(hours=5)),
        (c.RequestExtension(actor=other, reason="需多部门协调"), at("2026-11-26T10:00:00")),
        (c.DecideExtension(actor=SUPERVISOR, approve=True), at("2026-11-26T11:00:00")),
    )
    assert o.status == Status.HANDLING and o.extension == "approved"
    # 14 working days from Monday 2026-11-23 (dispatch day): 2026-12-11, end of day.
    assert deadlines(o, POL)["handling"].due == at("2026-12-11T23:59:59")
    o = run(
        o,
        (c.Reply(actor=other, content="已协调拆除限高杆"), at("2026-12-01T10:00:00")),
        (c.Check(actor=SUPERVISOR, passed=True), at("2026-12-01T11:00:00")),
        (c.RecordCallback(actor=SYSTEM, rating=Rating.UNSATISFIED), at("2026-12-02T10:00:00")),
    )
    assert o.status == Status.HANDLING and o.lead_unit == "jtj"
    # Redo within 5 working days of the callback (Wed 2026-12-02 → Wed 2026-12-09).
    assert deadlines(o, POL)["handling"].due == at("2026-12-09T23:59:59")
    o = run(
        o,
        (c.Reply(actor=other, content="再次办理"), at("2026-12-04T10:00:00")),
        (c.Check(actor=SUPERVISOR, passed=True), at("2026-12-04T11:00:00")),
        (c.RecordCallback(actor=SYSTEM, rating=Rating.UNSATISFIED), at("2026-12-07T10:00:00")),
    )
    assert o.status == Status.UNDER_REVIEW and o.unsatisfied_count == 2
    o = run(o, (c.Review(actor=SUPERVISOR, decision="close", explanation="办理符合规定"), at("2026-12-08T10:00:00")))
    assert o.status == Status.CLOSED and o.closure and o.closure.reason == ClosureReason.REVIEW
    assert [e.type for e in o.history] == [
        "create", "dispatch", "return", "redispatch", "accept", "request-extension", "decide-extension",
        "reply", "check", "callback-result", "reply", "check", "callback-result", "review",
    ]
    assert replay(o.history) == o


def test_satisfied_callback_closes() -> None:
    o = new_order(MON, POL)
    u = handler()
    o = run(o, (c.Dispatch(actor=AGENT, lead_unit="zjj"), MON), (c.Accept(actor=u), MON),
            (c.Reply(actor=u, content="已解决"), MON), (c.Check(actor=SUPERVISOR, passed=True), MON),
            (c.RecordCallback(actor=SYSTEM, rating=Rating.BASICALLY_SATISFIED), MON))
    assert o.status == Status.CLOSED and o.closure.reason == ClosureReason.SATISFIED


def test_failed_check_orders_a_redo_and_needs_a_reason() -> None:
    u = handler()
    o = run(new_order(MON, POL), (c.Dispatch(actor=AGENT, lead_unit="zjj"), MON), (c.Accept(actor=u), MON),
            (c.Reply(actor=u, content="已解决"), MON))
    with pytest.raises(ValidationError):
        handle(c.Check(actor=SUPERVISOR, passed=False), o, MON, POL)
    o, _ = handle(c.Check(actor=SUPERVISOR, passed=False, note="现场核查未整改"), o, MON, POL)
    assert o.status == Status.HANDLING and o.cycle == 2


def test_return_after_the_window_is_refused() -> None:
    o = run(new_order(MON, POL), (c.Dispatch(actor=AGENT, lead_unit="zjj"), MON))
    # Dispatched Monday: the window ends at the end of Tuesday.
    late = at("2026-11-25T08:00:00")
    with pytest.raises(WindowClosed) as err:
        handle(c.Return(actor=handler(), reason="非本单位", basis="三定"), o, late, POL)
    assert err.value.error_id == "window-closed"
    ok, _ = handle(c.Return(actor=handler(), reason="非本单位", basis="三定"), o, at("2026-11-24T23:00:00"), POL)
    assert ok.status == Status.RETURNED


def test_return_needs_reason_and_basis() -> None:
    o = run(new_order(MON, POL), (c.Dispatch(actor=AGENT, lead_unit="zjj"), MON))
    with pytest.raises(ValidationError):
        handle(c.Return(actor=handler(), reason="非本单位", basis="  "), o, MON, POL)


def test_extension_denied_keeps_the_deadline() -> None:
    u = handler()
    o = run(new_order(MON, POL), (c.Dispatch(actor=AGENT, lead_unit="zjj"), MON), (c.Accept(actor=u), MON),
            (c.RequestExtension(actor=u, reason="复杂"), MON), (c.DecideExtension(actor=SUPERVISOR, approve=False), MON))
    assert o.status == Status.HANDLING and o.extension == "denied"
    assert deadlines(o, POL)["handling"].due == at("2026-12-02T23:59:59")  # 7 working days


def test_direct_answer_goes_to_callback_under_yicheng_and_closes_under_langfang() -> None:
    o = new_order(MON, POL, category=Category.CONSULTATION)
    o2, _ = handle(c.AnswerDirectly(actor=AGENT, answer="请登录政务服务网办理"), o, MON, POL)
    assert o2.status == Status.CALLBACK_PENDING
    lf = policy("langfang-2019")
    o = new_order(MON, lf, category=Category.CONSULTATION)
    o3, _ = handle(c.AnswerDirectly(actor=AGENT, answer="现场答复"), o, MON, lf)
    assert o3.status == Status.CLOSED and o3.closure.reason == ClosureReason.DIRECT_ANSWER


def test_direct_answer_only_for_consultations() -> None:
    with pytest.raises(InvalidTransition):
        handle(c.AnswerDirectly(actor=AGENT, answer="x"), new_order(MON, POL), MON, POL)


def test_invalid_command_names_state_and_command() -> None:
    with pytest.raises(InvalidTransition) as err:
        handle(c.Accept(actor=handler()), new_order(MON, POL), MON, POL)
    assert err.value.state == "registered" and err.value.command == "accept"
    assert "accept" in str(err.value) and "registered" in str(err.value)


def test_only_the_lead_unit_acts_and_roles_are_enforced() -> None:
    o = run(new_order(MON, POL), (c.Dispatch(actor=AGENT, lead_unit="zjj", co_units=("jtj",)), MON))
    with pytest.raises(NotPermitted):
        handle(c.Accept(actor=handler("jtj")), o, MON, POL)
    with pytest.raises(NotPermitted):
        handle(c.Dispatch(actor=handler("zjj"), lead_unit="zjj"), new_order(MON, POL), MON, POL)
    with pytest.raises(NotPermitted):
        handle(c.IssueCard(actor=SUPERVISOR, color=CardColor.YELLOW, clock="handling", cycle=1), o, MON, POL)


def test_draft_is_confirmed_with_edits() -> None:
    d = new_order(MON, POL, draft=True)
    assert d.status == Status.DRAFT
    with pytest.raises(ValidationError):
        handle(c.Confirm(actor=AGENT, changes={"status": "closed"}), d, MON, POL)
    o, _ = handle(c.Confirm(actor=AGENT, changes={"subject": "限高杆阻碍运输", "urgency": "urgent"}), d, MON, POL)
    assert o.status == Status.REGISTERED and o.subject == "限高杆阻碍运输" and o.urgency.value == "urgent"
    assert replay(o.history) == o


def test_a_draft_without_a_name_or_phone_is_accepted_and_its_phone_follows_the_rules() -> None:
    def draft(phone: str | None) -> NewOrder:
        return NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise("", phone=phone),
                        subject="", content="", received_at=MON, draft=True)

    order, _ = create_order(draft(None), "20261123-0001", SYSTEM, MON, POL)
    assert order.status == Status.DRAFT and order.enterprise.phone is None
    order, _ = create_order(draft("138-0013-8000"), "20261123-0002", SYSTEM, MON, POL)
    assert order.enterprise.phone == "13800138000"  # compact, like every other order's
    # Stored as typed, "anonymous" made every later amendment and the confirmation fail.
    with pytest.raises(ValidationError, match="enterprise.phone"):
        create_order(draft("anonymous"), "20261123-0003", SYSTEM, MON, POL)


def test_policy_limited_closure_needs_an_explanation() -> None:
    o = new_order(MON, POL)
    with pytest.raises(ValidationError):
        handle(c.ClosePolicyLimited(actor=SUPERVISOR, explanation=""), o, MON, POL)
    o, _ = handle(c.ClosePolicyLimited(actor=SUPERVISOR, explanation="现行政策不支持，已备案"), o, MON, POL)
    assert o.status == Status.CLOSED and o.closure.reason == ClosureReason.POLICY_LIMITED


def test_review_can_order_a_redo() -> None:
    u = handler()
    o = run(new_order(MON, POL), (c.Dispatch(actor=AGENT, lead_unit="zjj"), MON), (c.Accept(actor=u), MON))
    for _ in range(2):
        o = run(o, (c.Reply(actor=u, content="答复"), MON), (c.Check(actor=SUPERVISOR, passed=True), MON),
                (c.RecordCallback(actor=SYSTEM, rating=Rating.UNSATISFIED), MON))
    assert o.status == Status.UNDER_REVIEW
    o, _ = handle(c.Review(actor=SUPERVISOR, decision="redo", explanation="答复不准确"), o, MON, POL)
    assert o.status == Status.HANDLING and o.clock("handling").kind == "redo"


def test_merge_and_audit_fields() -> None:
    o, events = handle(c.Merge(actor=AGENT, into="20261123-0002", note="同一事项"), new_order(MON, POL), MON, POL)
    assert o.status == Status.MERGED and o.merged_into == "20261123-0002"
    e = events[0]
    assert (e.actor, e.role.value, e.from_status, e.to_status, e.note, e.at) == (
        "agent1", "agent", Status.REGISTERED, Status.MERGED, "同一事项", MON)


def test_urgent_order_uses_the_urgent_kind_under_mianyang() -> None:
    my = policy("mianyang-962299")
    from worksheet.model import Urgency

    o = new_order(MON, my, urgency=Urgency.URGENT)
    o, _ = handle(c.Dispatch(actor=AGENT, lead_unit="zjj"), o, MON, my)
    assert o.clock("handling").kind == "urgent"
    o2 = new_order(MON, my)
    o2, _ = handle(c.Dispatch(actor=AGENT, lead_unit="zjj", kind="general", amount=3), o2, MON, my)
    assert deadlines(o2, my)["handling"].due == at("2026-11-26T23:59:59")  # 3 calendar days
    with pytest.raises(ValidationError):
        handle(c.Dispatch(actor=AGENT, lead_unit="zjj", kind="general", amount=20), new_order(MON, my), MON, my)


def test_a_calendar_update_recomputes_open_orders_deadlines() -> None:
    from worksheet.calendar import WorkingCalendar

    dec = at("2026-12-28T10:00:00")
    o, _ = handle(c.Dispatch(actor=AGENT, lead_unit="zjj"), new_order(dec, POL), dec, POL)
    first = deadlines(o, POL)["handling"]
    assert (first.due, first.provisional) == (at("2027-01-06T23:59:59"), True)
    # The 2027 calendar is published: New Year's Day off, and the deployment declares the year covered.
    updated = policy(calendar=WorkingCalendar(extra_holidays=[at("2027-01-01T00:00:00").date()], covered_years=[2027]))
    again = deadlines(o, updated)["handling"]
    assert (again.due, again.provisional) == (at("2027-01-07T23:59:59"), False)


def test_no_return_in_a_redo_cycle() -> None:
    u = handler()
    o = run(new_order(MON, POL), (c.Dispatch(actor=AGENT, lead_unit="zjj"), MON), (c.Accept(actor=u), MON),
            (c.Reply(actor=u, content="答复"), MON), (c.Check(actor=SUPERVISOR, passed=False, note="未整改"), MON))
    with pytest.raises(WindowClosed):
        handle(c.Return(actor=u, reason="非本单位", basis="三定"), o, MON + timedelta(minutes=1), POL)


def test_unsatisfied_direct_answer_goes_to_dispatch_and_units_get_two_rounds() -> None:
    o = new_order(MON, POL, category=Category.CONSULTATION)
    u = handler()
    o = run(o, (c.AnswerDirectly(actor=AGENT, answer="知识库答复"), MON),
            (c.RecordCallback(actor=SYSTEM, rating=Rating.UNSATISFIED), MON))
    assert o.status == Status.REGISTERED and o.unsatisfied_count == 0
    o = run(o, (c.Dispatch(actor=AGENT, lead_unit="zjj"), MON), (c.Accept(actor=u), MON),
            (c.Reply(actor=u, content="答复"), MON), (c.Check(actor=SUPERVISOR, passed=True), MON),
            (c.RecordCallback(actor=SYSTEM, rating=Rating.UNSATISFIED), MON))
    assert o.status == Status.HANDLING  # the unit's first unsatisfied round: redo, not review


def test_amend_draft_fills_fields_keeps_the_suggestion_and_stays_a_draft() -> None:
    order = new_order(at("2026-11-23T09:00"), policy(), draft=True)
    suggestion = {"category": {"value": "complaint", "confidence": 0.8, "span": {"start": 3, "end": 5}}}
    amended, events = handle(c.AmendDraft(actor=SYSTEM, changes={"category": "complaint", "subject": "噪音扰民"},
                                          suggestion=suggestion), order, at("2026-11-23T10:00"), policy())
    assert amended.status == Status.DRAFT and amended.category == Category.COMPLAINT
    assert amended.subject == "噪音扰民" and events[0].data["suggestion"] == suggestion
    assert replay(amended.history) == amended
    with pytest.raises(ValidationError):
        handle(c.AmendDraft(actor=SYSTEM, changes={"status": "closed"}), order, at("2026-11-23T10:00"), policy())
    confirmed, _ = handle(c.Confirm(actor=AGENT), amended, at("2026-11-23T10:05"), policy())
    assert confirmed.status == Status.REGISTERED and confirmed.category == Category.COMPLAINT
    with pytest.raises(InvalidTransition):
        handle(c.AmendDraft(actor=SYSTEM, changes={}), confirmed, at("2026-11-23T10:06"), policy())
