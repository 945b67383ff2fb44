"""Calibrated confidence: the fit, the confident rule, and that it holds on the tuning data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from worksheet.extract import extract_draft
from worksheet.extract.calibration_table import TABLE
from worksheet.extract.confidence import CONFIDENT, calibrate, calibrated, fit
from worksheet.extract.types import FIELDS, DraftFields, FieldValue, Span

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import calibrate as fitting  # noqa: E402  (bench/calibrate.py: the tuning data and the fit)


def test_fit_is_a_non_decreasing_step_function() -> None:
    pairs = [(0.3, False)] * 5 + [(0.3, True)] * 5 + [(0.6, True)] * 30 + [(0.6, False)] * 2 + [(0.9, True)] * 200
    steps = fit(pairs, prior=0.8, weight=20)
    values = [p for _, p in steps]
    assert values == sorted(values) and [low for low, _ in steps] == [0.3, 0.6, 0.9]
    assert calibrated(steps, 0.1) == values[0]  # below every step: the lowest step
    assert calibrated(steps, 0.75) == values[1] and calibrated(steps, 0.95) == values[2]


def test_fit_pools_a_step_less_accurate_than_the_one_below() -> None:
    steps = fit([(0.5, True)] * 10 + [(0.7, False)] * 10, prior=0.5, weight=0)
    assert steps == ((0.5, 0.5),)


def test_a_low_raw_score_pulls_its_step_down() -> None:
    # Self-named companies the directory does not know: raw 0.45, none right; the field's 97 % on
    # unseen calls must not lift them.
    assert calibrated(fit([(0.45, False)] * 7 + [(0.9, True)] * 100, prior=0.97), 0.45) < 0.45


def test_all_right_on_little_data_is_not_confident() -> None:
    # 20 of 20 right, shrunk towards 76 %: about 88 %, a suggestion, not a confident field.
    # (The prior is the lower of the field's unseen accuracy and the step's own raw score.)
    steps = fit([(0.9, True)] * 20, prior=0.76, weight=20)
    assert calibrated(steps, 0.9) < CONFIDENT
    assert calibrated(fit([(0.9, True)] * 400, prior=0.76, weight=20), 0.9) >= CONFIDENT


def test_confident_fields_are_heard_and_calibrated_at_least_95_percent() -> None:
    heard = Span(0, 2)
    draft = DraftFields(category=FieldValue("help", 0.72, heard), urgency=FieldValue("normal", 0.55),
                        subject=FieldValue("路口限高", 0.99, heard), order_number=FieldValue(None, 0.0),
                        contact_phone=FieldValue("13912345678", 0.99))  # the caller ID: inferred, not heard
    out = calibrate(draft, {"category": ((0.3, 0.7), (0.72, 0.97)), "urgency": ((0.55, 0.85),),
                            "contact_phone": ((0.3, 0.99),)})
    assert out.confidence["category"] == 0.97 and out.confidence["urgency"] == 0.85
    assert out.confidence["subject"] == 0.99  # nothing measured it: the rule's score, not confident
    assert out.confidence["contact_phone"] == 0.99  # inferred: not calibrated, not confident
    assert out.confident == frozenset({"category"})
    assert set(out.confidence) == set(FIELDS)
    assert out.to_json()["category"]["confident"] is True and out.to_json()["urgency"]["confident"] is False


def test_raw_scores_without_calibration() -> None:
    text = "我 要 投诉 政务 大厅 窗口 的 工作人员 态度 很 差"
    raw, cal = extract_draft(text, calibration=None), extract_draft(text)
    assert raw.category.value == cal.category.value
    assert cal.category.confidence == round(calibrated(TABLE["category"], raw.category.confidence), 3)


def test_an_empty_draft_has_nothing_confident() -> None:
    d = extract_draft("嗯 啊", caller_id="13912345678")
    assert d.confident == frozenset() and set(d.confidence.values()) == {0.0}


@pytest.fixture(scope="module")
def tuning() -> dict[str, list[tuple[float, bool]]]:
    return fitting.observations(fitting.tuning_records())


def test_confident_fields_are_right_95_percent_on_the_tuning_data(tuning: dict[str, list[tuple[float, bool]]]) -> None:
    """Fails when a rule changed its raw scores and the table is stale: run bench/calibrate.py --write."""
    confident = {name: [right for c, right in pairs if c >= CONFIDENT] for name, pairs in tuning.items()}
    assert sum(map(len, confident.values())) >= 200  # the rule marks fields, it does not just abstain
    for name, rights in confident.items():
        assert not rights or sum(rights) / len(rights) >= CONFIDENT, name


def test_every_labelled_field_with_enough_data_is_calibrated(tuning: dict[str, list[tuple[float, bool]]]) -> None:
    assert {name for name, pairs in tuning.items() if len(pairs) >= 30} <= set(TABLE)


def test_the_draft_command_says_confident_or_suggestion() -> None:
    from callcenter.enterprises.cli import _human

    out = _human(extract_draft("我 要 投诉 政务 大厅 窗口 的 工作人员 态度 很 差", caller_id="13912345678"))
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert lines["category"].endswith(", confident)")
    assert lines["contact_phone"].endswith(", suggestion)")  # the caller ID: inferred
    assert lines["order_number"].endswith("(0.00)")  # nothing found: neither


def test_without_a_directory_the_enterprise_keeps_the_rules_score() -> None:
    # Calibrated with a directory, a name it does not know is rarely a company; without one, the
    # measurement does not apply: the rule's guess stays, unmarked confident.
    d = extract_draft("你好我是绵阳长城机械有限公司的，想咨询一下政策")
    assert d.enterprise_name.confidence == 0.6 and "enterprise_name" not in d.confident
