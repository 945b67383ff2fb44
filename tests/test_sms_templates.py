"""SMS templates: rendering, validation, and the one-segment budget."""

from __future__ import annotations

import pytest

from callcenter.sms.templates import (
    DEFAULT_SIGNATURE,
    SEGMENT_CHARS,
    TEMPLATES,
    TemplateError,
    build_sms,
    render,
    segment_length,
)

# Realistic worst-case-ish values: order numbers look like 20261123-0007 (callcenter.db.orders).
PARAMS = {"order_no": "20261123-0007", "due_date": "2026年11月30日", "draft_no": "CZ20261123-0007", "code": "123456",
          "minutes": "10", "event": "已亮红灯（超期）"}


def test_the_expected_templates_exist_with_their_params() -> None:
    assert {name: set(t.params) for name, t in TEMPLATES.items()} == {
        "order_accepted": {"order_no", "due_date"},
        "fax_received": {"draft_no"},
        "order_replied": {"order_no"},
        "order_closed": {"order_no"},
        "survey": {"order_no"},
        "portal_code": {"code", "minutes"},
        "portal_received": {"draft_no"},
        "liaison_notice": {"order_no", "event"},
    }


def test_order_accepted_renders_number_and_deadline() -> None:
    text = render("order_accepted", {"order_no": "20261123-0007", "due_date": "2026年11月30日"})
    assert "工单号20261123-0007" in text and "2026年11月30日前答复" in text


def test_fax_received_names_the_draft() -> None:
    assert "草稿编号CZ20261123-0007" in render("fax_received", {"draft_no": "CZ20261123-0007"})


def test_survey_lists_the_three_answers_and_the_order() -> None:
    text = render("survey", {"order_no": "20261123-0007"})
    assert "20261123-0007" in text
    assert text.index("1满意") < text.index("2基本满意") < text.index("3不满意")


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_fits_one_segment_with_signature(name: str) -> None:
    text = render(name, {key: PARAMS[key] for key in TEMPLATES[name].params})
    assert "{" not in text and "}" not in text
    assert segment_length(text) <= SEGMENT_CHARS, f"{name}: {segment_length(text)} chars: {DEFAULT_SIGNATURE}{text}"


def test_missing_param_is_a_typed_error() -> None:
    with pytest.raises(TemplateError) as info:
        render("order_accepted", {"order_no": "20261123-0007"})
    assert info.value.error_id == "sms-template-invalid"
    assert info.value.template == "order_accepted" and "due_date" in info.value.detail


@pytest.mark.parametrize("params", [
    {"order_no": "20261123-0007", "typo": "x"},  # unknown param
    {"order_no": "   "},  # blank
    {"order_no": "x" * 36},  # longer than a mainland template variable
    {"order_no": "1\n2"},  # would break the layout
])
def test_bad_params_are_rejected(params: dict[str, str]) -> None:
    with pytest.raises(TemplateError):
        render("order_closed", params)


def test_unknown_template() -> None:
    with pytest.raises(TemplateError, match="no such template"):
        render("marketing", {})


def test_build_sms_carries_template_params_and_text() -> None:
    sms = build_sms("+8613800138000", "order_closed", {"order_no": "20261123-0007"}, idempotency_key="k1")
    assert sms.template == "order_closed" and dict(sms.params) == {"order_no": "20261123-0007"}
    assert sms.text == "您的工单20261123-0007已办结，感谢您对热线工作的支持。"
    assert sms.to == "+8613800138000" and sms.idempotency_key == "k1"
