"""The page helpers that build HTML by hand or decide colours: escaping, spans, deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from callcenter.web.render import deadline_state, highlight
from callcenter.web.views_knowledge import mark_terms

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def field(start: int, end: int, confidence: float = 0.8) -> dict[str, object]:
    return {"value": "x", "confidence": confidence, "span": {"start": start, "end": end}}


def test_fields_are_marked_at_their_spans_and_everything_else_is_escaped() -> None:
    text = "<b>华翔物流</b>电话13800138000"
    html = str(highlight(text, {"enterprise_name": field(3, 7), "contact_phone": field(13, 24),
                                "summary": field(0, len(text))}))
    assert html.startswith("&lt;b&gt;<mark data-field=\"enterprise_name\"")
    assert ">华翔物流</mark>&lt;/b&gt;电话<mark data-field=\"contact_phone\"" in html
    assert "summary" not in html  # drawn from the whole text: marking it would mark everything


def test_overlapping_out_of_range_and_malformed_spans_are_skipped() -> None:
    text = "华翔路施工"
    html = str(highlight(text, {"enterprise_name": field(0, 3), "category": field(2, 4), "urgency": field(3, 99),
                                "order_number": {"value": "x", "span": {"start": "0", "end": 2}}, "contact_phone": None}))
    assert html == '<mark data-field="enterprise_name" title="企业名称 · 置信度 80%">华翔路</mark>施工'


def test_deadline_colours() -> None:
    assert deadline_state(NOW - timedelta(minutes=1), NOW) == "overdue"
    assert deadline_state((NOW + timedelta(hours=5)).isoformat(), NOW) == "soon"
    assert deadline_state(NOW + timedelta(days=2), NOW) == "ok"
    assert deadline_state(None, NOW) == "none"


def test_search_terms_are_marked_longest_first_and_escaped() -> None:
    html = str(mark_terms("<i>高新技术企业</i>认定：高新", ["高新", "高新技术企业"]))
    assert html == "&lt;i&gt;<mark>高新技术企业</mark>&lt;/i&gt;认定：<mark>高新</mark>"
    assert str(mark_terms("a<b", [])) == "a&lt;b"


def test_common_validation_messages_are_explained_in_chinese() -> None:
    from callcenter.db.errors import VersionConflict
    from callcenter.web.messages import user_message
    from worksheet.errors import InvalidTransition, ValidationError

    assert user_message(ValidationError("basis is required")) == "填写有误：请填写政策依据"
    assert user_message(ValidationError("content is longer than 4000 characters")) == "填写有误：内容不能超过 4000 个字"
    assert user_message(VersionConflict("20261123-0001", 3)).startswith("工单已被他人更新")
    assert user_message(InvalidTransition("closed", "reply")).startswith("工单当前状态不允许此操作")
    assert user_message(ValidationError("unknown unit 'x'")) == "填写有误：所选单位不存在，请从列表中选择"


def test_a_call_line_says_in_chinese_how_the_call_ended() -> None:
    from callcenter.calls.record import APP_RESTART, CDR_DISPOSITIONS, GONE_WHILE_DISCONNECTED, PBX_RESTART
    from callcenter.web.labels import CALL_DISPOSITION, CALL_END
    from callcenter.web.render import _ENV

    line = _ENV.get_template("call_line.html")
    html = line.render(call={"started_at": "2026-11-23T02:00:00Z", "caller": "13800138000", "disposition": "ANSWERED",
                             "end_reason": APP_RESTART})
    assert html.strip() == "2026-11-23 10:00 138****8000 已接通（系统重启期间结束，结束时间按系统恢复时刻记）"
    plain = line.render(call={"started_at": None, "caller": None, "disposition": "BUSY", "end_reason": None})
    assert plain.strip() == "忙线"
    for table, values in ((CALL_END, (PBX_RESTART, GONE_WHILE_DISCONNECTED, APP_RESTART)),
                          (CALL_DISPOSITION, CDR_DISPOSITIONS)):
        for value in values:
            assert value in table and not any("a" <= c.lower() <= "z" for c in table[value]), value
