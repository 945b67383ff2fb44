"""Which events reach a unit's group and a liaison, in what words (pure)."""

from __future__ import annotations

from domain_helpers import AGENT, at, handler, new_order, policy

from callcenter.liaison.notices import liaison_event
from callcenter.wecom.notices import MAX_MARKDOWN_BYTES, markdown, notices_for_event
from worksheet import commands as c
from worksheet.lifecycle import handle


def test_dispatch_tells_lead_and_co_units_and_return_tells_the_unit_with_its_reason() -> None:
    pol, now = policy(), at("2026-11-23T10:00")
    order = new_order(now, pol, name="华翔<@all>物流**公司**")
    assert [notices_for_event(order, e) for e in order.history] == [[]]  # registration: no unit yet
    assert liaison_event(order, order.history[-1]).kind == "new"  # type: ignore[union-attr]
    order, (dispatched,) = handle(c.Dispatch(actor=AGENT, lead_unit="zjj", co_units=("jtj",)), order, now, pol)
    notices = notices_for_event(order, dispatched)
    assert [(n.unit, n.body["markdown"]["content"].splitlines()[0]) for n in notices] == [
        ("zjj", "**新派单**"), ("jtj", "**新派单（协办）**")]
    content = notices[0].body["markdown"]["content"]
    assert "<@all>" not in content and "＜@all＞" in content and "13800138000" not in content
    assert len({n.key for n in notices}) == 2 and liaison_event(order, dispatched) is None
    order, (returned,) = handle(c.Return(actor=handler("zjj"), reason="非本单位职责\n<@all>", basis="三定"), order, now, pol)
    (back,) = notices_for_event(order, returned)
    assert back.unit == "zjj" and "退回理由：非本单位职责 ＜@all＞" in back.body["markdown"]["content"]


def test_a_huge_text_is_cut_to_wecoms_markdown_limit() -> None:
    content = markdown("新派单", ["长" * 3000])["markdown"]["content"]
    assert len(content.encode()) <= MAX_MARKDOWN_BYTES < len("长" * 3000 * 3) and content.endswith("…")
