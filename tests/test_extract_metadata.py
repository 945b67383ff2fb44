"""What is about the message, not in it: a fax machine's header line and the caller-ID name are never
content, subject, enterprise or a number of the draft; the contact person (联系人) is extracted."""

from __future__ import annotations

import pytest

from callcenter.enterprises.loader import directory_from_csv
from callcenter.enterprises.service import DEMO_DIRECTORY, load_catalogue
from worksheet.extract import extract_draft
from worksheet.fax_header import blank_headers, header_spans

DIRECTORY = directory_from_csv(DEMO_DIRECTORY)
BODY = "关于华翔路施工影响货车通行的情况反映\n我公司门口华翔路施工，货车无法运出，请帮忙协调。\n联系人：李女士"


@pytest.mark.parametrize("header", [
    "2026-11-23 10:15 FROM: 0816 2345678 P.1",
    "2026/11/23 10:15 TO: 12345 第1页/共2页",
    "NOV-23-2026 10:15 FROM:HUAXIANG WL P.01/02",
    "2026年11月23日 10:15 发自 0816-2345678 第1页",
    "11/23/2026 10:15AM FAX 08162345678 PAGE 1",
])
def test_a_fax_header_gives_no_field(header: str) -> None:
    text = f"{header}\n{BODY}"
    d = extract_draft(text, directory=DIRECTORY, catalogue=load_catalogue())
    assert d.order_number.value is None  # "20261123 1015" is the machine's clock, not an order number
    assert d.contact_phone.value is None  # the sending line is not a contact number
    assert d.subject.value and not any(ch.isdigit() for ch in str(d.subject.value))
    assert "FROM" not in str(d.summary.value) and not str(d.summary.value).startswith(("2026", "11", "NOV"))
    assert d.contact_person.value == "李女士"
    assert d.summary.span is not None and d.summary.span.start > len(header)  # spans still index the text


def test_a_header_run_into_the_first_line_is_cut_off_there() -> None:
    text = "2026-11-23 10:15 FROM: 0816 2345678 P.1 关于华翔路施工的情况反映"
    assert header_spans(text) == [(0, text.index("关于"))]
    assert blank_headers(text).strip() == "关于华翔路施工的情况反映"
    d = extract_draft(text)
    assert d.order_number.value is None and str(d.summary.value).startswith("关于")


@pytest.mark.parametrize("line", [
    "2026年11月23日10:00，我们在第1页材料上写明了华翔路施工的情况",
    "电话：0816-2345678",
    "工单号 20261123-0007 的进度",
])
def test_body_lines_with_dates_and_numbers_stay(line: str) -> None:
    assert header_spans(line) == []


@pytest.mark.parametrize("caller_id", [
    '"绵阳华翔物流有限公司" <13800138000>',
    '"华翔物流" <sip:13800138000@carrier>',
])
def test_the_caller_id_name_is_never_the_enterprise(caller_id: str) -> None:
    d = extract_draft("我 想 咨询 一下 社保 政策", directory=DIRECTORY, caller_id=caller_id)
    assert d.enterprise_name.value is None
    assert d.contact_phone.value == "13800138000"


@pytest.mark.parametrize(("text", "name"), [
    ("我 姓 王 是 华 翔 物流 的", "王"),
    ("你好 我 是 张伟 我们 公司 门口 在 施工", "张伟"),
    ("联系人 李 女士 电话 幺三八 零零幺三 八零零零", "李女士"),
    ("我 是 华 翔 物流 的 王 经理 想 反映 个 事", "王经理"),
    ("我 是 他们 厂 的 会计 免贵 姓 赵", "赵"),
    ("你好 我 是 德 润 贸易 的 小 李", "小李"),
    ("我 姓 欧阳 是 蓝天 水泥 的", "欧阳"),
    ("你好 我 是 采购 曹 经理 想 问 工单", "曹经理"),  # a role, then the titled name
    ("喂 我 是 负责人 老 杨", "老杨"),
    ("联系人 写 马 经理 就 行", "马经理"),
])
def test_the_contact_person_in_a_vosk_transcript(text: str, name: str) -> None:
    d = extract_draft(text, directory=DIRECTORY)
    assert d.contact_person.value == name and d.contact_person.span is not None
    assert d.enterprise_name.value != name


@pytest.mark.parametrize("text", ["我是想问王经理的事", "我是说找张总", "我是华翔物流的员工", "我是小区的业主"])
def test_no_contact_from_other_people_or_roles(text: str) -> None:
    assert extract_draft(text).contact_person.value is None


def test_a_spoken_contact_fills_the_drafts_contact_person() -> None:
    from callcenter.speech.drafts import draft_changes

    text = "你好 我 是 华 翔 物流 的 我 叫 陈 志强 华翔路 施工 货车 出 不 去 请 帮忙 协调"
    fields = extract_draft(text, directory=DIRECTORY, catalogue=load_catalogue()).to_json()
    changes = draft_changes(fields, text, {"name": "来电 138****8000", "contact_person": None, "phone": None})
    assert changes["enterprise"]["contact_person"] == "陈志强"
    assert changes["enterprise"]["name"] == "绵阳华翔物流有限公司"
