"""worksheet.callerid: every caller ID a PBX, trunk, fax machine or SMS gateway sends, as a number or None."""

from __future__ import annotations

import pytest

from worksheet.callerid import caller_name, caller_number
from worksheet.intake import enterprise
from worksheet.model import Enterprise


@pytest.mark.parametrize("raw", [
    None, "", "   ", "unknown", "Unknown", "<unknown>", "anonymous", "Anonymous", "ANONYMOUS", "Restricted",
    "Private", "Unavailable", "withheld", "sip:anonymous@anonymous.invalid",
    '"Anonymous" <sip:anonymous@anonymous.invalid>', "sip:@10.0.0.1", "tel:", "+", "00", "+0123456",
    "1380013800a", "138 0013 800O", "*31#13800138000", "#31#", "12", "+86", "138\x000013", "1" * 21,
    "+" + "1" * 16, "1" * 200, "13800+138000", "１３８００１３８０００",
])
def test_no_number_in_it(raw: str | None) -> None:
    assert caller_number(raw) is None


@pytest.mark.parametrize(("raw", "number"), [
    ("13800138000", "13800138000"),
    (" 13800138000 ", "13800138000"),
    ("+8613800138000", "13800138000"),
    ("+86 138-0013-8000", "13800138000"),
    ("008613800138000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("tel:+86-138-0013-8000", "13800138000"),
    ("TEL:+8613800138000;phone-context=example.com", "13800138000"),
    ("sip:+8613800138000@carrier.example;user=phone", "13800138000"),
    ("sips:13800138000@carrier.example:5061", "13800138000"),
    ('"Wang Jingli" <sip:13800138000@carrier.example>', "13800138000"),
    ("<13800138000>", "13800138000"),
    ("02088886666", "02088886666"),
    ("(010) 1234-5678", "01012345678"),
    ("+86 10 1234 5678", "+861012345678"),  # a landline keeps its country code rather than guess the trunk 0
    ("+15551230001", "+15551230001"),  # never "15551230001": that reads as a mainland mobile
    ("001 555 123 0001", "+15551230001"),
    ("sip:1001@10.0.0.5", "1001"),
    ("12345", "12345"),
])
def test_numbers(raw: str, number: str) -> None:
    assert caller_number(raw) == number


@pytest.mark.parametrize("raw", ["13800138000", "+8613800138000", "tel:+86-10-1234-5678", "+1 (555) 123-0001",
                                 "sip:1001@pbx", "0086 20 8888 6666"])
def test_a_number_always_passes_the_order_phone_validation(raw: str) -> None:
    number = caller_number(raw)
    assert number is not None
    assert enterprise(Enterprise(name="x", phone=number)).phone == number  # stored as it is


@pytest.mark.parametrize(("raw", "name"), [
    ("Wang Jingli", "Wang Jingli"),
    ("  张三 ", "张三"),
    ("Anonymous", ""), ("unknown", ""), ("<unknown>", ""), ("Restricted", ""), ("", ""), (None, ""),
    ("13800138000", ""), ("+86 138 0013 8000", ""),  # the number copied into the name
    ("Zhang\x00San\x1b", "Zhang San"),
    ("名" * 300, "名" * 100),
])
def test_caller_names(raw: str | None, name: str) -> None:
    assert caller_name(raw) == name
