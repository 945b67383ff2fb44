"""Property tests: no command sequence reaches an inconsistent order."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domain_helpers import AGENT, SUPERVISOR, SYSTEM, at, handler, new_order, policy
from worksheet import commands as c
from worksheet.errors import WorksheetError
from worksheet.evolve import replay
from worksheet.lifecycle import handle
from worksheet.model import CardColor, Category, ClosureReason, Rating, Status
from worksheet.transitions import targets

POL = policy()
START = at("2026-11-20T16:00:00")
UNITS = ("zjj", "jtj")


def _commands(unit: str) -> list[c.Command]:
    u = handler(unit)
    return [
        c.Confirm(actor=AGENT),
        c.AmendDraft(actor=SYSTEM, changes={"category": "complaint"}, suggestion={"category": {"value": "complaint"}}),
        c.AnswerDirectly(actor=AGENT, answer="知识库答复"),
        c.Dispatch(actor=AGENT, lead_unit=unit),
        c.Redispatch(actor=AGENT, lead_unit=unit, co_units=UNITS),
        c.Accept(actor=u),
        c.Return(actor=u, reason="非本单位职责", basis="三定规定"),
        c.RequestExtension(actor=u, reason="复杂"),
        c.DecideExtension(actor=SUPERVISOR, approve=True),
        c.DecideExtension(actor=SUPERVISOR, approve=False),
        c.Reply(actor=u, content="已办理"),
        c.Check(actor=SUPERVISOR, passed=True),
        c.Check(actor=SUPERVISOR, passed=False, note="未整改"),
        c.RecordCallback(actor=SYSTEM, rating=Rating.SATISFIED),
        c.RecordCallback(actor=SYSTEM, rating=Rating.UNSATISFIED),
        c.Review(actor=SUPERVISOR, decision="redo", explanation="重办"),
        c.Review(actor=SUPERVISOR, decision="close", explanation="办理正确"),
        c.ClosePolicyLimited(actor=SUPERVISOR, explanation="政策限制"),
        c.Merge(actor=AGENT, into="20261120-0099"),
        c.AddSupplement(actor=SYSTEM, text="补充：现场照片已发送", source="sms:SM1"),
        c.Discard(actor=AGENT, reason="空白留言"),
        c.IssueCard(actor=SYSTEM, color=CardColor.YELLOW, clock="handling", cycle=1),
    ]


ALL = {unit: _commands(unit) for unit in UNITS}
# Commands that end an order from almost any state; drawn rarely so deep states are reached.
SHORTCUTS = frozenset({"merge", "close-policy-limited"})




def check_invariants(order) -> None:  # type: ignore[no-untyped-def]
    assert replay(order.history) == order
    assert [e.seq for e in order.history] == list(range(1, len(order.history) + 1))
    for before, after in zip(order.history, order.history[1:], strict=False):
        assert after.from_status == before.to_status
        assert after.at >= before.at
    if order.status == Status.CLOSED:
        reason = order.closure.reason
        if reason == ClosureReason.SATISFIED:
            assert order.callbacks and order.callbacks[-1].rating in (Rating.SATISFIED, Rating.BASICALLY_SATISFIED)
        elif reason == ClosureReason.REVIEW:
            assert order.review_decision == "close" and order.closure.explanation
        elif reason == ClosureReason.POLICY_LIMITED:
            assert order.closure.explanation
        else:
            assert order.direct_answer and order.category == Category.CONSULTATION
    else:
        assert order.closure is None
    if order.status in (Status.DISPATCHED, Status.HANDLING, Status.EXTENSION_REQUESTED):
        assert order.lead_unit and order.clock("handling") is not None
    if order.status == Status.UNDER_REVIEW:
        assert order.unsatisfied_count >= 2
    assert order.status != Status.MERGED or order.merged_into


@settings(max_examples=400, deadline=None)
@given(data=st.data(), draft=st.booleans(), consultation=st.booleans())
def test_no_command_sequence_reaches_an_inconsistent_state(data, draft, consultation) -> None:  # type: ignore[no-untyped-def]
    order = new_order(START, POL, draft=draft, category=Category.CONSULTATION if consultation else Category.HELP)
    now = START
    for _ in range(data.draw(st.integers(min_value=0, max_value=40), label="length")):
        unit = data.draw(st.sampled_from(UNITS), label="unit")
        if order.lead_unit and data.draw(st.integers(0, 4), label="as-lead"):
            unit = order.lead_unit  # mostly act as the lead unit, sometimes as the wrong one
        commands = ALL[unit]
        # Mostly commands the state allows (to reach deep states), sometimes any command at all.
        valid = [cmd for cmd in commands if targets(cmd.name, order.status)]
        onward = [cmd for cmd in valid if cmd.name not in SHORTCUTS]
        pick = data.draw(st.integers(0, 19), label="pick")
        pool = (onward if onward and pick > 2 else valid) if valid and pick > 0 else commands
        cmd = data.draw(st.sampled_from(pool), label="command")
        now = now + timedelta(seconds=data.draw(st.integers(min_value=0, max_value=36 * 3600), label="delay"))
        try:
            order, events = handle(cmd, order, now, POL)
        except WorksheetError:
            continue
        assert events[-1] is order.history[-1]
        check_invariants(order)
    check_invariants(order)
