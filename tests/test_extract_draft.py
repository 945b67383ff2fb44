"""extract_draft: fields, confidences, spans and audio offsets, empty input, caller-id fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from worksheet.extract import (
    DirectoryEntry,
    DispatchCatalogue,
    DraftFields,
    EnterpriseDirectory,
    Span,
    TimedWord,
    extract_draft,
)
from worksheet.extract.types import FIELDS
from worksheet.model import Category, Urgency

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = DispatchCatalogue.from_json(json.loads((ROOT / "callcenter/data/dispatch_catalogue.json").read_text("utf-8")))
DIRECTORY = EnterpriseDirectory([
    DirectoryEntry("绵阳华翔物流有限公司", "915107039755TH2H1D", "吴杰", "19620116410", None, "涪城区"),
])
CALL = "嗯 你好 我 是 花 香 物流 的 那个 我们 门口 道路 施工 货 运 不 出去 请 帮忙 协调 电话 幺三八 零零幺三 八零零零"


def draft(text: str, **kw: object) -> DraftFields:
    return extract_draft(text, directory=DIRECTORY, catalogue=CATALOGUE, **kw)  # type: ignore[arg-type]


def test_a_vosk_transcript_gives_all_fields() -> None:
    d = draft(CALL)
    assert not d.empty
    assert d.category.value == Category.HELP and d.urgency.value == Urgency.NORMAL
    assert d.enterprise_name.value == "绵阳华翔物流有限公司"
    assert d.contact_phone.value == "13800138000"
    assert d.order_number.value is None and d.order_number.span is None
    assert d.suggested_unit.value == "jtj"
    assert d.subject.value and len(d.subject.value) <= 20 and "道路施工" in d.subject.value
    assert d.summary.value == "你好我是花香物流的我们门口道路施工货运不出去请帮忙协调电话13800138000"
    for name in FIELDS:
        assert 0.0 <= getattr(d, name).confidence <= 1.0


def test_spans_point_into_the_original_text() -> None:
    d = draft(CALL)
    assert CALL[d.enterprise_name.span.start:d.enterprise_name.span.end] == "花 香 物流"  # type: ignore[union-attr]
    assert CALL[d.contact_phone.span.start:d.contact_phone.span.end] == "幺三八 零零幺三 八零零零"  # type: ignore[union-attr]
    assert CALL[d.category.span.start:d.category.span.end] == "帮忙"  # type: ignore[union-attr]
    assert CALL[d.suggested_unit.span.start:d.suggested_unit.span.end] in ("道路", "道路 施工")  # type: ignore[union-attr]
    assert d.summary.span == Span(0, len(CALL))
    assert d.enterprise_name.span.audio_start is None  # type: ignore[union-attr]


def test_words_give_audio_offsets() -> None:
    tokens = CALL.split(" ")
    words = [TimedWord(w, round(0.5 * i, 2), round(0.5 * i + 0.4, 2)) for i, w in enumerate(tokens)]
    d = draft(CALL, words=words)
    first = tokens.index("花")
    span = d.enterprise_name.span
    assert span is not None and (span.audio_start, span.audio_end) == (0.5 * first, 0.5 * (first + 2) + 0.4)
    phone = d.contact_phone.span
    assert phone is not None and phone.audio_start == 0.5 * tokens.index("幺三八")
    assert phone.audio_end == 0.5 * tokens.index("八零零零") + 0.4
    assert d.to_json()["contact_phone"]["span"] == {
        "start": phone.start, "end": phone.end, "audio_start": phone.audio_start, "audio_end": phone.audio_end}


@pytest.mark.parametrize("text", ["", "   ", "\n", "嗯 啊 那个", "[unk]", "嗯，，。"])
def test_nothing_usable_is_an_empty_draft(text: str) -> None:
    d = draft(text, caller_id="13912345678")
    assert d.empty
    assert d.to_json() == {**{n: {"value": None, "confidence": 0.0, "span": None, "confident": False} for n in FIELDS}, "empty": True}


def test_caller_id_is_the_fallback_contact_phone() -> None:
    d = draft("我想咨询一下社保政策", caller_id="+86 139-1234-5678")
    assert d.contact_phone.value == "13912345678" and d.contact_phone.span is None
    assert d.contact_phone.confidence < 0.9
    spoken = draft("我想咨询一下社保政策，电话幺三八零零幺三八零零零", caller_id="13912345678")
    assert spoken.contact_phone.value == "13800138000"


@pytest.mark.parametrize(("caller_id", "phone"), [
    ("+1 555 123 0001", "+15551230001"),  # its digits alone would read as the mainland mobile 155…
    ("sip:1001@10.0.0.5", "1001"),  # the SIP user, not the user and the host's digits run together
    ("tel:+86-10-1234-5678;phone-context=example.com", "+861012345678"),
    ("anonymous", None), ("unknown", None), ("sip:anonymous@anonymous.invalid", None),
])
def test_the_caller_id_fallback_is_the_callers_number_or_nothing(caller_id: str, phone: str | None) -> None:
    assert draft("我想咨询一下社保政策", caller_id=caller_id).contact_phone.value == phone


def test_directory_mobile_is_the_last_resort() -> None:
    d = draft("我是华翔物流的，我想咨询一下政策")
    assert d.contact_phone.value == "19620116410" and d.contact_phone.confidence < 0.5


@pytest.mark.parametrize(("text", "category", "urgency"), [
    ("我想咨询一下高新企业的政策", Category.CONSULTATION, Urgency.NORMAL),
    ("我要投诉，他们乱收费", Category.COMPLAINT, Urgency.NORMAL),
    ("我提个建议，公交线路能不能延长", Category.SUGGESTION, Urgency.NORMAL),
    ("我要举报有人偷排废水", Category.REPORT, Urgency.URGENT),  # reports are urgent
    ("求助，厂里燃气泄漏了", Category.HELP, Urgency.URGENT),
    ("停电了，我们整个厂停产了，请帮忙", Category.HELP, Urgency.URGENT),
    ("几十个工人欠薪的事情，他们要去堵门", Category.HELP, Urgency.URGENT),
    ("欠薪的事情想问一下怎么申请仲裁", Category.CONSULTATION, Urgency.NORMAL),  # one person's wages
    ("我们这个不紧急，就是咨询一下", Category.CONSULTATION, Urgency.NORMAL),  # negated cue
    ("我们门口那条路", Category.HELP, Urgency.NORMAL),  # no cue: low-confidence default
])
def test_category_and_urgency(text: str, category: Category, urgency: Urgency) -> None:
    d = draft(text)
    assert (d.category.value, d.urgency.value) == (category, urgency)


def test_no_cue_category_has_low_confidence() -> None:
    assert draft("我们门口那条路").category.confidence <= 0.3


def test_enterprise_words_do_not_pick_the_unit() -> None:
    # "物流" belongs to the name; the matter is about tax.
    d = draft("我是华翔物流的，想问一下发票怎么开")
    assert d.suggested_unit.value == "shuiwj"


def test_without_directory_a_self_named_company_is_a_guess() -> None:
    d = extract_draft("你好我是绵阳长城机械有限公司的，想咨询一下政策")
    assert d.enterprise_name.value == "绵阳长城机械有限公司" and d.enterprise_name.confidence <= 0.6


def test_without_catalogue_no_unit_is_suggested() -> None:
    assert extract_draft("道路施工货车过不去").suggested_unit.value is None


def test_json_shape() -> None:
    out = draft(CALL).to_json()
    assert set(out) == set(FIELDS) | {"empty"}
    assert out["category"]["value"] == "help" and out["urgency"]["value"] == "normal"
    json.dumps(out, ensure_ascii=False)  # serialisable


def test_catalogue_rejects_bad_rules() -> None:
    with pytest.raises(ValueError):
        DispatchCatalogue.from_json({"rules": [{"unit": "jtj", "keywords": []}]})


def test_catalogue_uses_the_fucheng_unit_codes() -> None:
    units = {u["code"] for u in json.loads((ROOT / "callcenter/data/units_fucheng.json").read_text("utf-8"))}
    assert CATALOGUE.units == units
