"""Possible duplicates, and the unified social credit code check."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.domain_helpers import at, new_order, policy
from worksheet.credit_code import check_character, normalize_credit_code
from worksheet.duplicates import possible_duplicates, similarity
from worksheet.errors import InvalidCreditCode
from worksheet.model import Enterprise

POL = policy()
T = at("2026-11-23T09:00:00")


def test_same_enterprise_similar_content_is_flagged() -> None:
    first = new_order(T, POL, number="20261123-0001")
    again = new_order(T + timedelta(days=2), POL, number="20261125-0001",
                      content="华翔路施工，附近企业货物运不出去，绕行创业路路口限高过不去。")
    assert possible_duplicates(again, [first]) == ["20261123-0001"]


def test_other_enterprise_or_other_matter_or_outside_window_is_not() -> None:
    first = new_order(T, POL, number="20261123-0001")
    other_firm = replace(new_order(T, POL, number="20261123-0002"),
                         enterprise=Enterprise("绵阳某科技公司", None, None, "13900000000"))
    assert possible_duplicates(other_firm, [first]) == []
    other_matter = new_order(T, POL, number="20261123-0003", content="申请高新技术企业认定需要哪些材料？")
    assert possible_duplicates(other_matter, [first]) == []
    later = new_order(T + timedelta(days=31), POL, number="20261224-0001")
    assert possible_duplicates(later, [first]) == []
    assert possible_duplicates(later, [first], window=timedelta(days=60)) == ["20261123-0001"]


def test_similarity_bounds() -> None:
    assert similarity("华翔路施工", "华翔路施工") == 1.0
    assert similarity("", "华翔路") == 0.0


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", "91310000717854505W"])
def test_valid_credit_codes(code: str) -> None:
    assert normalize_credit_code(code.lower()) == code


@pytest.mark.parametrize(
    ("code", "why"),
    [("91350100M000100Y44", "check character"), ("91350100M000100Y4", "18 characters"),
     ("91350100M0001I0Y43", "not allowed")],
)
def test_invalid_credit_codes(code: str, why: str) -> None:
    with pytest.raises(InvalidCreditCode, match=why):
        normalize_credit_code(code)


def test_check_character_matches_the_standard_example() -> None:
    # GB 32100-2015 worked example style: weights 3^i mod 31 over the first 17 characters.
    assert check_character("91350100M000100Y4") == "3"
