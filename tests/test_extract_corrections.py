"""A caller who corrects themselves ("不对", "说错了", "应该是", "我再说一遍", "不是…是…") means the
later value: for order numbers, phone numbers and names."""

from __future__ import annotations

import pytest

from worksheet.extract import extract_draft
from worksheet.extract.contact import find_contact


@pytest.mark.parametrize(("text", "expected"), [
    ("工单号 是 二零二六 一一 二三 零零 四四 哦 不对 是 零零 四三", "20261123-0043"),  # the tail again
    ("工单号 二零二六一一二三零零四四 说错 了 应该 是 二零二六一一二四零零零七", "20261124-0007"),  # all of it
    ("单号 不是 二零二六一一二三零零四四 是 二零二六一一二三零零四五", "20261123-0045"),
    ("工单号 二零二六一一二三零零四四 我 再 说 一遍 二零二六一一二三零零三四", "20261123-0034"),
    ("工单号 二零二六 一一 二三 不对 一一 二四 零零 零七", "20261124-0007"),  # the date corrected mid-way
    ("单号 二零二六 幺幺 三零 说错 了 是 幺两 零幺 零零 零九", "20261201-0009"),
])
def test_the_corrected_order_number_is_kept(text: str, expected: str) -> None:
    found = extract_draft(text).order_number
    assert found.value == expected and found.span is not None


@pytest.mark.parametrize(("text", "expected"), [
    ("电话 幺三八 零零幺三 八零零零 不对 幺三九 零零幺三 八零零零", "13900138000"),
    ("电话 幺三九 幺两三四 五六七八 错 了 最后 是 五六七九", "13912345679"),
    ("手机 幺八六 洞洞幺两 三四五六 更正 一下 三四五七", "18600123457"),
    ("电话 幺八八 幺两三四 四三两幺 不是 四三两幺 是 四三两两", "18812344322"),  # the tail said again
    ("电话 幺三九 幺两三四 不对 幺两三五 五六七八", "13912355678"),  # corrected before it was finished
])
def test_the_corrected_phone_is_kept(text: str, expected: str) -> None:
    assert extract_draft(text).contact_phone.value == expected


def test_a_correction_of_another_field_keeps_both() -> None:
    d = extract_draft("电话 幺三八 零零幺三 八零零零 不对 我 想 说 工单号 二零二六一一二三零零零七")
    assert d.contact_phone.value == "13800138000" and d.order_number.value == "20261123-0007"


@pytest.mark.parametrize(("text", "name"), [
    ("我是张伟，哦说错了，我是张炜", "张炜"),
    ("我姓王，不对，我姓汪", "汪"),
    ("我叫刘洋，不是，我叫刘阳", "刘阳"),
    ("联系人王经理，应该是联系人黄经理", "黄经理"),
])
def test_the_corrected_name_is_kept(text: str, name: str) -> None:
    found = find_contact(text)
    assert found is not None and found[0] == name


def test_a_name_said_twice_without_correction_keeps_the_first() -> None:
    found = find_contact("联系人王经理，我是他同事张伟")
    assert found is not None and found[0] == "王经理"
