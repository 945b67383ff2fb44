"""The suggested unit comes from the departments' duties (duties catalogue + dispatch catalogue);
with weak or no evidence it is unknown (None), not a guess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callcenter.enterprises.service import DUTIES_FILE, load_catalogue
from worksheet.extract import DispatchCatalogue, extract_draft

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = load_catalogue()


def unit(text: str) -> str | None:
    return extract_draft(text, catalogue=CATALOGUE).suggested_unit.value  # type: ignore[return-value]


def test_the_duties_catalogue_covers_the_26_departments_of_seed_003() -> None:
    duties = json.loads(DUTIES_FILE.read_text("utf-8"))["units"]
    codes = {u["code"] for u in json.loads((ROOT / "callcenter/data/units_fucheng.json").read_text("utf-8"))}
    assert len(duties) == 26 and {d["unit"] for d in duties} == codes
    assert all(d["duties"] and d["name"] for d in duties)
    assert CATALOGUE.units == codes


@pytest.mark.parametrize(("text", "expected"), [
    # Gas-pipe hazards: emergency management, although "燃气" alone is the building department's trade.
    ("我们 厂区 后面 燃气 管道 一直 有 煤气 味 怕 出事", "yjglj"),
    # Staff conduct at the government service centre's windows.
    ("政务 大厅 窗口 的 工作人员 态度 很 差", "zwspj"),
    # Fire acceptance of a construction project: the building department since 2019, not emergency.
    ("新 厂房 的 消防 验收 一直 过 不 了", "zjj"),
    # Talent recognition and housing: the organisation department's talent office.
    ("引进 的 人才 住房 补贴 申请 半年 没 下来", "zzb"),
    ("想 问 一下 高层次 人才 认定 怎么 申报", "zzb"),
    ("工地 晚上 施工 噪音 太 大", "sthjj"),  # construction noise is pollution control
])
def test_duties_pick_the_unit(text: str, expected: str) -> None:
    assert unit(text) == expected


@pytest.mark.parametrize("text", [
    "你们 这个 热线 几 点 下班",
    "我们 有 点 事 想 找 你们 帮忙 等 下 再 打",
    "喂 喂 听 得到 吗",
])
def test_no_duty_named_means_unknown(text: str) -> None:
    assert unit(text) is None


def test_a_combination_needs_all_its_words() -> None:
    catalogue = DispatchCatalogue.from_json({"units": [{"unit": "zjj", "keywords": [], "combos": [["消防", "验收"]]}]})
    assert catalogue.suggest("消防验收过不了") is not None
    assert catalogue.suggest("消防通道被堵") is None


def test_weak_evidence_is_no_suggestion() -> None:
    catalogue = DispatchCatalogue.from_json({"rules": [{"unit": "shuiwj", "keywords": ["税"]}]})
    assert catalogue.suggest("税") is None  # one character: below the minimum evidence


def test_entries_of_one_unit_are_joined() -> None:
    catalogue = DispatchCatalogue.merged(
        DispatchCatalogue.from_json({"rules": [{"unit": "jtj", "keywords": ["道路"]}]}),
        DispatchCatalogue.from_json({"units": [{"unit": "jtj", "keywords": ["公交"], "combos": [["路", "挖"]]}]}))
    assert len(catalogue.rules) == 1 and catalogue.rules[0].keywords == ("道路", "公交")


def test_a_duties_entry_without_words_is_rejected() -> None:
    with pytest.raises(ValueError):
        DispatchCatalogue.from_json({"units": [{"unit": "jtj", "keywords": [], "combos": [["路"]]}]})
