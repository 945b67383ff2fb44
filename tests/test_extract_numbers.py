"""Spoken digit strings: phone numbers and order numbers."""

from __future__ import annotations

import pytest

from worksheet.extract import extract_draft
from worksheet.extract.numbers import digit_runs


def phone(text: str) -> object:
    return extract_draft(text).contact_phone.value


def order(text: str) -> object:
    return extract_draft(text).order_number.value


@pytest.mark.parametrize(("text", "expected"), [
    ("我电话幺三八零零幺三八零零零", "13800138000"),
    ("我 电话 幺三八 零零幺三 八零零零", "13800138000"),  # Vosk groups
    ("电话是一三八两两三三四四五五", "13822334455"),  # 两 = 2
    ("手机 幺八六 洞洞幺两 三四五六", "18600123456"),  # 洞 = 0
    ("电话 幺三九 嗯 零八幺六 五五六六", "13908165566"),  # a filler between groups
    ("号码 138 0013 8000", "13800138000"),  # Arabic digits
    ("电话 幺3八 零0幺三 8零零零", "13800138000"),  # mixed
    ("电话〇八幺六两三四五六七八", "0816-2345678"),  # landline with area code
    ("电话 零二八 八七六五 四三二一", "028-87654321"),  # three-digit area code
    ("我们公司有两个人想问一下", None),  # counting, not digits
])
def test_spoken_phone_numbers(text: str, expected: str | None) -> None:
    assert phone(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("工单号 二零二六一一二三零零零七", "20261123-0007"),
    ("单号是 二零二六 幺幺幺八 零零幺两", "20261118-0012"),
    ("我查一下工单 20261120-0003 的进度", "20261120-0003"),
    ("二零二六一一二三零零零七这个单子", "20261123-0007"),  # a valid date without a cue
    ("工单号 幺三八零零幺三八零零零", None),  # 11 digits: a phone, not an order
])
def test_order_numbers(text: str, expected: str | None) -> None:
    assert order(text) == expected


def test_order_and_phone_in_one_call_are_kept_apart() -> None:
    draft = extract_draft("工单号二零二六一一二三零零零七，我电话幺三八零零幺三八零零零")
    assert draft.order_number.value == "20261123-0007"
    assert draft.contact_phone.value == "13800138000"
    assert draft.order_number.confidence > 0.9 and draft.contact_phone.confidence > 0.9


def test_measure_words_end_a_digit_run() -> None:
    runs = digit_runs("幺三八零零幺三八零零零两个人")
    assert [r.digits for r in runs] == ["13800138000"]


def test_a_date_that_is_not_a_date_is_a_low_confidence_order() -> None:
    draft = extract_draft("工单号 二零二六一三九九零零零七")  # month 13
    assert draft.order_number.value == "20261399-0007"
    assert draft.order_number.confidence < 0.5
