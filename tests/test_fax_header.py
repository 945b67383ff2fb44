"""A fax machine's header line (date, TSID, page number) is not part of what the sender wrote."""

from __future__ import annotations

import pytest

from callcenter.fax.header import is_machine_header, without_machine_headers
from callcenter.speech.drafts import draft_changes
from worksheet.extract import extract_draft

HEADER = "2026-12-06 10:00 FROM 0816 2345678 P.1"


@pytest.mark.parametrize("line", [
    HEADER, "2026-11-23 10:15 FROM: 028-8888 6666 P.1", "2026-11-23 10:15 FR0M: 028-8888 6666 P.2",
    "12/06/2026 10:00 0816-2345678 PAGE 1/2", "P.1", "2026/12/06 10:00 TO: 12345 第1页", "2026-12-06 10:00",
])
def test_header_lines(line: str) -> None:
    assert is_machine_header(line)


@pytest.mark.parametrize("line", [
    "电话：13800138000", "时间：10:30", "2026-11-23", "2026年11月23日10:00，华翔路施工", "关于华翔路施工影响企业运输的情况反映",
    "联系人：王经理 电话：13800138000", "TEL 13800138000", "",
])
def test_body_lines(line: str) -> None:
    assert not is_machine_header(line)


def test_every_page_loses_its_header_and_keeps_its_body() -> None:
    text = (f"{HEADER}\n关于华翔路施工的情况反映\n华翔路施工，货车无法通行。\n\n"
            "2026-12-06 10:00 FROM 0816 2345678 P.2\n联系人：王经理 电话：13800138000")
    assert without_machine_headers(text) == ("关于华翔路施工的情况反映\n华翔路施工，货车无法通行。\n\n"
                                             "联系人：王经理 电话：13800138000")
    assert without_machine_headers(f"{HEADER}\n\n正文") == "正文"
    assert without_machine_headers("正文\n第二行") == "正文\n第二行"


def test_a_fax_draft_starts_with_what_the_sender_wrote() -> None:
    text = without_machine_headers(f"{HEADER}\n绵阳华翔物流有限公司反映：华翔路道路施工，货车无法运出。\n联系人：王经理")
    fields = extract_draft(text).to_json()
    changes = draft_changes(fields, text, {"name": "传真 未知号码", "phone": None}, label="传真识别文本", written=True)
    assert changes["content"].endswith("\n联系人：王经理")  # as written, line breaks and all
    assert changes["content"].startswith("绵阳华翔物流有限公司反映") and changes["content"].count("华翔路道路施工") == 1
    assert "【" not in changes["content"] and "FROM" not in changes["content"]
    assert not str(fields["subject"]["value"] or "").startswith("1")
    assert changes["enterprise"]["contact_person"] == "王经理"
