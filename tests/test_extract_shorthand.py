"""How people give numbers on the phone: counted repeats ("三个八"), linking words between groups,
tails ("尾号…"), extensions and landlines, as Vosk writes them (spaces between words)."""

from __future__ import annotations

import pytest

from worksheet.extract import extract_draft
from worksheet.extract.numbers import digit_runs


def phone(text: str, caller_id: str | None = None) -> object:
    return extract_draft(text, caller_id=caller_id).contact_phone.value


@pytest.mark.parametrize(("text", "expected"), [
    ("我 电话 幺三六零 三幺六五 后面 是 三个八", "13603165888"),
    ("手机 幺三八 两个零 幺三 八 三个零", "13800138000"),
    ("电话 是 幺 五 九 然后 是 幺 两 三 四 然后 五 六 七 八", "15912345678"),
    ("号码 一三九 嗯 那个 零八幺六 就是 五五六六", "13908165566"),
    ("电话 幺八六 洞洞 幺两 三四 五六", "18600123456"),
    ("座机 零八幺六 杠 两三四五 六七八 转 八零幺", "0816-2345678"),  # the extension is not part of it
    ("电话 零八幺六 两三四五六七八 分机 三零二", "0816-2345678"),
    ("座机 号码 两三四五 六七八九", "23456789"),  # a local number without area code
    ("电话 幺三八 零零 要 三 八零零零", "13800138000"),  # Vosk's 要 for 幺 between digits
])
def test_spoken_shorthand_numbers(text: str, expected: str) -> None:
    assert phone(text) == expected


@pytest.mark.parametrize("text", [
    "我们 有 两个 一样 的 问题 拖 了 三个 月",
    "三个 零件 坏 了 两个 五年 的 合同",
    "我 再 说 一遍 这个 事情",
    "我 要 三 份 材料 要 八 个 章",  # 要 = want
])
def test_counts_are_not_digits(text: str) -> None:
    assert [r.digits for r in digit_runs(text.replace(" ", "")) if len(r.digits) > 2] == []
    assert phone(text) is None


def test_a_repeat_joins_the_groups_around_it_and_spans_them() -> None:
    text = "幺三六零 三幺六五 后面 是 三个八"
    found = extract_draft(f"电话 {text}").contact_phone
    assert found.value == "13603165888" and found.span is not None
    assert f"电话 {text}"[found.span.start:found.span.end] == text


def test_a_tail_confirms_the_number_called_from() -> None:
    d = extract_draft("我 电话 就是 这个 来电 号码 尾号 三个八", caller_id="13603165888")
    assert d.contact_phone.value == "13603165888" and d.contact_phone.confidence >= 0.8
    assert d.contact_phone.span is not None
    other = extract_draft("我 电话 尾号 三个八", caller_id="13603165777")
    assert other.contact_phone.value == "13603165777" and other.contact_phone.confidence <= 0.5
    assert extract_draft("我 电话 尾号 三个八").contact_phone.value is None  # a tail alone is no number


def test_a_tail_is_not_an_order_number() -> None:
    d = extract_draft("我 之前 那个 工单 尾号 是 零零四三 想 问 进度")
    assert d.order_number.value is None


@pytest.mark.parametrize(("text", "expected"), [
    ("工单号 二零二六 一一 二三 两个零 四三", "20261123-0043"),
    ("单号 是 二零二六 幺幺 幺八 然后 是 零零 幺两", "20261118-0012"),
])
def test_spoken_order_numbers(text: str, expected: str) -> None:
    assert extract_draft(text).order_number.value == expected
