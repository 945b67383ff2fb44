"""The contact person (联系人) read from a transcript, an SMS or a fax: several phrasings, no false names."""

from __future__ import annotations

import pytest

from worksheet.extract import extract_draft
from worksheet.extract.contact import find_contact


@pytest.mark.parametrize(("text", "name"), [
    ("联系人：王经理 电话：13800138000", "王经理"),
    ("联系人王经理电话13800138000", "王经理"),
    ("联系人是张伟，请尽快回复", "张伟"),
    ("联系人:李红", "李红"),
    ("你好我姓李，华翔路施工货车出不去", "李"),
    ("我是张伟，想反映一下华翔路的问题", "张伟"),
    ("我是华翔物流的，我叫陈志强，路口限高", "陈志强"),
    ("喂你好我是王经理啊，我们公司门口在施工", "王经理"),
    ("这边是刘会计，想问一下发票的事", "刘会计"),
])
def test_the_contact_is_found(text: str, name: str) -> None:
    found = find_contact(text)
    assert found is not None and found[0] == name
    start, end = found[2]
    assert text[start:end] == name


@pytest.mark.parametrize("text", [
    "我是想问一下高新技术企业认定的事",
    "我是绵阳华翔物流有限公司，华翔路施工",
    "我是江油的企业，想咨询社保",
    "我是说这个路口限高太低了",
    "我是个体工商户，营业执照丢了",
    "联系人还没有确定",
    "我是高新区的企业",
    "我们公司的张总说过这件事",
    "",
])
def test_no_false_contact(text: str) -> None:
    assert find_contact(text) is None


def test_the_draft_carries_the_contact_with_its_span() -> None:
    text = "我 是 华翔 物流 的 我 叫 陈 志强 华翔 路 施工 货车 出 不去"
    fields = extract_draft(text).to_json()
    contact = fields["contact_person"]
    assert contact["value"] == "陈志强" and contact["confidence"] >= 0.5
    assert text[contact["span"]["start"]:contact["span"]["end"]].replace(" ", "") == "陈志强"
    assert extract_draft("华翔路施工，货车出不去").to_json()["contact_person"]["value"] is None
