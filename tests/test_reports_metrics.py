"""Report metrics on orders driven through the real lifecycle at explicit times; every expected
number is worked out by hand in the comments (yicheng-2021 preset, November 2026)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from domain_helpers import AGENT, SUPERVISOR, SYSTEM, at, handler, policy

from callcenter.reports.callstats import call_kind, call_stats
from callcenter.reports.metrics import Report, build_report
from callcenter.reports.ontime import judge
from callcenter.reports.periods import parse_period
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.lifecycle import create_order, handle
from worksheet.model import CardColor, Category, Channel, Enterprise, Rating, Status, WorkOrder

POLICY = policy("yicheng-2021")
NOVEMBER = parse_period("month", "2026-11", at("2026-11-30T00:00").date())
ZJJ, JTJ = handler("zjj"), handler("jtj")
QUEUE_RECORD = json.loads(
    (Path(__file__).parent / "data/call_records/queue-answered.jsonl").read_text("utf-8").splitlines()[0])


def new(number: str, received: str, channel: Channel = Channel.PHONE, category: Category = Category.HELP,
        draft: bool = False) -> WorkOrder:
    spec = NewOrder(channel=channel, category=category, enterprise=Enterprise("华翔物流", phone="13800138000"),
                    subject="道路施工", content="货物无法运出", received_at=at(received), draft=draft)
    return create_order(spec, number, AGENT, at(received), POLICY)[0]


def run(order: WorkOrder, *steps: tuple[str, c.Command]) -> WorkOrder:
    for when, command in steps:
        order = handle(command, order, at(when), POLICY)[0]
    return order


def served(order: WorkOrder, unit: str, t: dict[str, str], rating: Rating) -> WorkOrder:
    """Dispatch → accept → reply → check passed → callback, at the given times."""
    h = handler(unit)
    return run(order, (t["dispatch"], c.Dispatch(actor=AGENT, lead_unit=unit)), (t["dispatch"], c.Accept(actor=h)),
               (t["reply"], c.Reply(actor=h, content="已办理")), (t["reply"], c.Check(actor=SUPERVISOR, passed=True)),
               (t["callback"], c.RecordCallback(actor=AGENT, rating=rating)))


def orders() -> list[WorkOrder]:
    # A: zjj, dispatched 11-02, due 11-11 23:59:59 (7 working days), replied 11-05: on time; satisfied.
    a = served(new("A", "2026-11-02T09:00"), "zjj",
               {"dispatch": "2026-11-02T10:00", "reply": "2026-11-05T10:00", "callback": "2026-11-06T10:00"},
               Rating.SATISFIED)
    # B: jtj, dispatched 11-03, due 11-12; yellow 11-13, red 11-17, replied 11-17: late; basically satisfied.
    b = run(new("B", "2026-11-03T09:00", Channel.SMS, Category.COMPLAINT),
            ("2026-11-03T10:00", c.Dispatch(actor=AGENT, lead_unit="jtj")), ("2026-11-03T10:00", c.Accept(actor=JTJ)),
            ("2026-11-13T09:00", c.IssueCard(actor=SYSTEM, color=CardColor.YELLOW, clock="handling", cycle=1)),
            ("2026-11-17T09:00", c.IssueCard(actor=SYSTEM, color=CardColor.RED, clock="handling", cycle=1)),
            ("2026-11-17T10:00", c.Reply(actor=JTJ, content="已办理")),
            ("2026-11-17T11:00", c.Check(actor=SUPERVISOR, passed=True)),
            ("2026-11-18T10:00", c.RecordCallback(actor=AGENT, rating=Rating.BASICALLY_SATISFIED)))
    # C: jtj returns it, re-dispatched to zjj 11-11, extension approved (14 working days → 12-01), replied 11-25
    # (on time), unsatisfied 11-26 → redo: not closed in November.
    cc = run(new("C", "2026-11-10T09:00", Channel.WEB, Category.CONSULTATION),
             ("2026-11-10T10:00", c.Dispatch(actor=AGENT, lead_unit="jtj")),
             ("2026-11-10T15:00", c.Return(actor=JTJ, reason="非本单位职责", basis="三定方案")),
             ("2026-11-11T09:00", c.Redispatch(actor=AGENT, lead_unit="zjj")), ("2026-11-11T09:30", c.Accept(actor=ZJJ)),
             ("2026-11-12T09:00", c.RequestExtension(actor=ZJJ, reason="涉及多部门")),
             ("2026-11-12T10:00", c.DecideExtension(actor=SUPERVISOR, approve=True)),
             ("2026-11-25T10:00", c.Reply(actor=ZJJ, content="已协调")),
             ("2026-11-25T11:00", c.Check(actor=SUPERVISOR, passed=True)),
             ("2026-11-26T10:00", c.RecordCallback(actor=AGENT, rating=Rating.UNSATISFIED)))
    # D: a consultation answered on the spot, satisfied at callback: closed, rated, but no unit to judge.
    d = run(new("D", "2026-11-20T09:00", Channel.WINDOW, Category.CONSULTATION),
            ("2026-11-20T09:10", c.AnswerDirectly(actor=AGENT, answer="按政策办理")),
            ("2026-11-21T10:00", c.RecordCallback(actor=AGENT, rating=Rating.SATISFIED)))
    e = new("E", "2026-11-15T09:00", Channel.FAX, draft=True)  # a draft: not counted
    f = run(new("F", "2026-11-18T09:00"), ("2026-11-18T09:30", c.Merge(actor=AGENT, into="A")))  # merged
    # G: received in October (not counted as received), dispatched 10-28 (due 11-06), replied 11-09: late.
    g = served(new("G", "2026-10-28T09:00"), "zjj",
               {"dispatch": "2026-10-28T10:00", "reply": "2026-11-09T10:00", "callback": "2026-11-10T10:00"},
               Rating.SATISFIED)
    # H: flagged as a possible duplicate, closed policy-limited 11-25 while zjj's clock ran (due 12-03): on time.
    h = run(new("H", "2026-11-24T09:00"), ("2026-11-24T09:00", c.FlagDuplicates(actor=SYSTEM, numbers=("A",))),
            ("2026-11-24T10:00", c.Dispatch(actor=AGENT, lead_unit="zjj")), ("2026-11-24T10:00", c.Accept(actor=ZJJ)),
            ("2026-11-25T10:00", c.ClosePolicyLimited(actor=SUPERVISOR, explanation="政策限制")))
    return [a, b, cc, d, e, f, g, h]


def call(**changes: Any) -> dict[str, Any]:
    """A real queue-answered record shape, inbound (no originate), with changes."""
    return {**QUEUE_RECORD, "originate": None, **changes}


QUEUE = QUEUE_RECORD["queue"]
CALLS = [
    call(linkedid="1", caller="13800138000"),  # queued, answered by an agent
    call(linkedid="2", caller="+86 138-0013-8000", queue={**QUEUE, "agent": None, "abandoned": True}),  # repeat
    call(linkedid="3", caller="13900139000", queue=None, answered_at=None, disposition="BUSY", ivr_path=[]),
    call(linkedid="4", caller="13700137000", queue=None, ivr_path=["hotline-in"]),  # IVR only
    call(linkedid="5", caller="13600136000", queue=None, fax={"direction": "receive", "pages": 1}),
    call(linkedid="6", caller="13800138000", queue=None, originate={"action_id": "cb-1", "reason": 4}),
    call(linkedid="7", caller="13500135000", queue={**QUEUE, "agent": None}, ended_at=None),  # still waiting
    call(linkedid="8", caller=None),  # anonymous, answered by an agent
]


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(orders(), CALLS, POLICY, NOVEMBER, generated_at=at("2026-12-01T08:00"),
                        unit_names={"zjj": "区住建局", "jtj": "区交通运输局"})


def test_received_counts_exclude_drafts_merged_and_other_periods(report: Report) -> None:
    r = report.received  # A, B, C, D, H
    assert r.total == 5
    assert {k: n for k, n in r.by_channel.items() if n} == {"phone": 2, "sms": 1, "web": 1, "window": 1}
    assert len(r.by_channel) == len(Channel)  # every channel listed, zeros included
    assert {k: n for k, n in r.by_category.items() if n} == {"help": 2, "complaint": 1, "consultation": 2}
    assert r.by_unit == {"zjj": 3, "jtj": 1, None: 1}  # C's current lead is zjj; D was never dispatched
    by_unit = report.to_json()["received"]["by_unit"]
    assert [(u["label"], u["count"]) for u in by_unit] == [("区住建局", 3), ("区交通运输局", 1), ("未派单", 1)]


def rate(report: Report, key: str) -> tuple[int, int, float | None]:
    r = report.to_json()["rates"][key]
    return r["numerator"], r["denominator"], r["value"]


def test_headline_rates(report: Report) -> None:
    # Dispatches in Nov: A, B, C, C again, H = 5 (G's was in October). One return (C), one extension (C).
    assert rate(report, "return_rate") == (1, 5, 0.2)
    assert rate(report, "extension_rate") == (1, 5, 0.2)
    # Ratings in Nov: A ok, B basically, C unsatisfied, D ok, G ok → 4 / 5.
    assert rate(report, "satisfaction_rate") == (4, 5, 0.8)
    # Closed in Nov: A, B, D, G, H; D has no unit feedback. On time: A, H; late: B, G → 2 / 4.
    assert rate(report, "on_time_rate") == (2, 4, 0.5)
    # Flagged or merged among received non-drafts (A B C D F H): F and H → 2 / 6.
    assert rate(report, "duplicate_order_rate") == (2, 6, 0.3333)
    # Offered: queued 1, 2, 8 + never answered 3 = 4; answered by an agent: 1, 8.
    assert rate(report, "answer_rate") == (2, 4, 0.5)
    # Inbound voice with a number: 1, 2, 3, 4, 7; call 2 is 1's number again.
    assert rate(report, "repeat_call_rate") == (1, 5, 0.2)
    assert all(r["definition"] for r in report.to_json()["rates"].values())


def test_event_totals_and_call_breakdown(report: Report) -> None:
    events = report.to_json()["events"]
    assert (events["dispatched"], events["returned"], events["extension_requests"], events["replied"]) == (5, 1, 1, 4)
    assert (events["closed"], events["judged"], events["on_time"]) == (5, 4, 2)
    assert (events["yellow_cards"], events["red_cards"]) == (1, 1)
    assert report.calls.to_json() == {"outbound": 1, "fax": 1, "ivr_only": 1, "queued": 3, "answered": 2,
                                      "abandoned": 1, "unanswered": 1, "in_progress": 1, "inbound_voice": 6,
                                      "repeat_calls": 1}


def test_unit_ranking(report: Report) -> None:
    zjj, jtj = report.to_json()["ranking"]["units"]
    # zjj: on time 2/3 (A, G late, H), satisfied 2/3 (A, C no, G), no returns of 3 dispatches:
    # 100 × (40·2/3 + 40·2/3 + 20·1) / 100 = 73.33.
    assert (zjj["rank"], zjj["unit"], zjj["name"], zjj["score"]) == (1, "zjj", "区住建局", 73.33)
    assert (zjj["dispatched"], zjj["replied"], zjj["judged"], zjj["on_time"], zjj["rated"]) == (3, 3, 3, 2, 3)
    # jtj: on time 0/1, satisfied 1/1, returned 1 of 2: 100 × (0 + 40 + 20·0.5) / 100 = 50, − 2 − 5 = 43.
    assert (jtj["rank"], jtj["score"], jtj["returned"], jtj["yellow_cards"], jtj["red_cards"]) == (2, 43.0, 1, 1, 1)
    assert jtj["return_rate"] == {"numerator": 1, "denominator": 2, "value": 0.5}


def test_empty_period_has_no_values_rather_than_zeros() -> None:
    empty = build_report([], [], POLICY, NOVEMBER, generated_at=at("2026-12-01T08:00")).to_json()
    assert empty["rates"]["answer_rate"] == {**empty["rates"]["answer_rate"], "numerator": 0, "denominator": 0,
                                             "value": None}
    assert empty["received"]["total"] == 0 and empty["ranking"]["units"] == []


def test_on_time_judges_the_deadline_in_force_at_each_reply() -> None:
    a, b, cc, d, *_ = orders()
    assert judge(a, POLICY).on_time is True  # type: ignore[union-attr]
    assert judge(b, POLICY).late_feedback == 1  # type: ignore[union-attr]
    assert judge(cc, POLICY) is None  # not closed
    assert judge(d, POLICY).on_time is None  # type: ignore[union-attr]
    # C replied 11-25, after the first 7 working days (11-20) but within the approved 14 (12-01):
    redo = run(cc, ("2026-11-27T10:00", c.Reply(actor=ZJJ, content="再次办理")),
               ("2026-11-27T11:00", c.Check(actor=SUPERVISOR, passed=True)),
               ("2026-11-28T10:00", c.RecordCallback(actor=AGENT, rating=Rating.SATISFIED)))
    assert redo.status == Status.CLOSED and judge(redo, POLICY).on_time is True  # type: ignore[union-attr]


def test_call_kinds_follow_the_documented_definition() -> None:
    assert [call_kind(r) for r in CALLS] == ["queued", "queued", "unanswered", "ivr_only", "fax", "outbound",
                                             "in_progress", "queued"]
    real = [json.loads(line) for p in sorted((Path(__file__).parent / "data/call_records").glob("*.jsonl"))
            for line in p.read_text("utf-8").splitlines() if line.strip()]
    # The lab's simulator dialled in with Originate, so 11 of its 15 calls carry `originate` and are outbound;
    # of the other four, three were never answered (busy/congestion/failed) and one ran only in the IVR.
    stats = call_stats(real)
    assert (stats.outbound, stats.unanswered, stats.ivr_only, stats.queued) == (11, 3, 1, 0)
    assert stats.answer_rate.to_json() == {"numerator": 0, "denominator": 3, "value": 0.0}
