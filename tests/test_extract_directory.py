"""Pinyin-aware fuzzy matching of enterprise names (ASR homophones, dropped suffixes, short names)."""

from __future__ import annotations

import pytest

from worksheet.extract import DirectoryEntry, EnterpriseDirectory
from worksheet.extract.names import core_name, short_forms

NAMES = [
    "绵阳华翔物流有限公司", "绵阳华美服装有限公司", "绵阳恒瑞精密电子有限公司", "绵阳蓝天水泥有限公司",
    "四川涪江食品有限公司", "绵阳顺通运输有限责任公司", "涪城区兴隆农机专业合作社", "绵阳惠民超市有限公司",
]


@pytest.fixture(scope="module")
def directory() -> EnterpriseDirectory:
    return EnterpriseDirectory(DirectoryEntry(n) for n in NAMES)


@pytest.mark.parametrize(("heard", "expected"), [
    ("华翔物流", "绵阳华翔物流有限公司"),
    ("华祥物流", "绵阳华翔物流有限公司"),  # homophone
    ("花香物流", "绵阳华翔物流有限公司"),  # homophones
    ("华翔物流有限责任公司", "绵阳华翔物流有限公司"),  # another company form
    ("恒锐电子", "绵阳恒瑞精密电子有限公司"),  # short name with a homophone
    ("南天水泥", "绵阳蓝天水泥有限公司"),  # n/l, as Sichuan speakers say it
    ("福江食品", "四川涪江食品有限公司"),
    ("顺通运输公司", "绵阳顺通运输有限责任公司"),
    ("兴隆农机合作社", "涪城区兴隆农机专业合作社"),
])
def test_match_names(directory: EnterpriseDirectory, heard: str, expected: str) -> None:
    match = directory.match(heard)
    assert match is not None and match.entry.name == expected
    assert 0.7 <= match.score <= 1.0


def test_exact_name_scores_one(directory: EnterpriseDirectory) -> None:
    match = directory.match("绵阳华翔物流有限公司")
    assert match is not None and match.score == 1.0


def test_unknown_names_are_none(directory: EnterpriseDirectory) -> None:
    assert directory.match("长城汽车") is None
    assert directory.find_in("我想问一下社保怎么交") is None


@pytest.mark.parametrize(("text", "expected", "heard"), [
    ("我是花香物流的我们门口在修路", "绵阳华翔物流有限公司", "花香物流"),
    ("我是华翔公司的", "绵阳华翔物流有限公司", "华翔"),  # brand said as a company
    ("我们是恒锐电子", "绵阳恒瑞精密电子有限公司", "恒锐电子"),
])
def test_find_in_transcript(directory: EnterpriseDirectory, text: str, expected: str, heard: str) -> None:
    match = directory.find_in(text)
    assert match is not None and match.entry.name == expected
    assert text[match.start:match.end] == heard


def test_a_bare_brand_in_ordinary_speech_is_not_a_company(directory: EnterpriseDirectory) -> None:
    assert directory.find_in("我想问一下惠民政策有哪些") is None  # 惠民 is the brand of 惠民超市
    assert directory.find_in("我是惠民超市的") is not None


def test_similar_names_do_not_mix(directory: EnterpriseDirectory) -> None:
    match = directory.find_in("我是华美服装的")
    assert match is not None and match.entry.name == "绵阳华美服装有限公司"


def test_name_forms() -> None:
    assert core_name("绵阳市华翔物流有限公司") == "华翔物流"
    assert core_name("四川涪江食品股份有限公司") == "涪江食品"
    assert short_forms("恒瑞精密电子") == (["恒瑞精密", "恒瑞电子"], "恒瑞")
    assert short_forms("丰谷") == ([], None)


def test_empty_directory_matches_nothing() -> None:
    empty = EnterpriseDirectory([])
    assert len(empty) == 0 and empty.match("华翔物流") is None and empty.find_in("我是华翔物流的") is None
