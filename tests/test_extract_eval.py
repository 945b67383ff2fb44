"""The validation set is well-formed and covers what it claims; the evaluation arithmetic (accuracy,
reliability table, confident-field precision) is right on hand-made drafts."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from callcenter.enterprises.loader import directory_from_csv
from callcenter.enterprises.service import DEMO_DIRECTORY, load_catalogue
from worksheet.extract.evaluate import SCORED_FIELDS, Evaluation, expected_fields, score

DATA = Path(__file__).resolve().parent / "data"
VALIDATION = DATA / "drafts_validation.jsonl"
CATEGORIES = {"consultation", "help", "complaint", "suggestion", "report"}
CHANNELS = {"voice_message", "agent_call", "sms", "fax"}
ORDER_NUMBER = re.compile(r"\d{8}-\d{4}")


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_validation_set_is_well_formed_and_covers_every_category_and_channel() -> None:
    records = _records(VALIDATION)
    assert len(records) >= 130
    assert len({r["id"] for r in records}) == len(records)
    dev_texts = {r["text"] for r in _records(DATA / "drafts_dev.jsonl")}
    assert not dev_texts & {r["text"] for r in records}, "a validation text copies the dev set"
    pairs = {(r["expected"]["category"], r["channel"]) for r in records}
    assert {(c, ch) for c in CATEGORIES for ch in CHANNELS} <= pairs
    assert {r["channel"] for r in records} == CHANNELS
    directory, units = directory_from_csv(DEMO_DIRECTORY), load_catalogue().units
    outside = 0
    for r in records:
        e = r["expected"]
        assert set(SCORED_FIELDS) <= set(e), r["id"]
        assert e["category"] in CATEGORIES | {None} and e["urgency"] in {"normal", "urgent", None}, r["id"]
        assert (e["category"] is None) == (e["urgency"] is None), r["id"]
        assert e["suggested_unit"] is None or e["suggested_unit"] in units, r["id"]
        assert e["order_number"] is None or ORDER_NUMBER.fullmatch(e["order_number"]), r["id"]
        assert e["contact_phone"] is None or re.fullmatch(r"1\d{10}|0\d{2,3}-\d{7,8}", e["contact_phone"]), r["id"]
        if e["enterprise_name"] and not directory.get(e["enterprise_name"]):
            outside += 1  # a name the directory lacks is expected as the caller gave it
            assert e["enterprise_name"] in re.sub(r"\s", "", r["text"]), r["id"]
    assert outside >= 3
    assert sum(1 for r in records if r["expected"]["enterprise_name"] is None) >= 5


class FakeDraft:
    """A draft as the evaluator sees one: `to_json()`, optionally `confidence` and `confident`."""

    def __init__(self, values: dict[str, tuple[Any, float]], *, confident: set[str] | None = None,
                 confidence: dict[str, float] | None = None) -> None:
        self.values = values
        if confident is not None:
            self.confident = confident
        if confidence is not None:
            self.confidence = confidence

    def to_json(self) -> dict[str, Any]:
        return {name: {"value": v, "confidence": c, "span": None} for name, (v, c) in self.values.items()}


def _record(rid: str, **expected: Any) -> dict[str, Any]:
    return {"id": rid, "text": "", "expected": expected}


def test_accuracy_reliability_and_confident_precision_on_hand_made_drafts() -> None:
    result = Evaluation()
    # Record 1: category right (0.97, confident), phone right despite the dash (0.85, confident),
    # unit wrong (0.5, not confident); the other scored fields are null and expected null.
    score(_record("r1", category="help", contact_phone="0816-2236610", suggested_unit="jtj"),
          FakeDraft({"category": ("help", 0.97), "contact_phone": ("08162236610", 0.85),
                     "suggested_unit": ("zjj", 0.5)}, confident={"category", "contact_phone"}), result)
    # Record 2: category wrong but marked confident (0.96); a per-field confidence mapping overrides
    # the field's own; contact_name is scored as contact_person, spaces ignored.
    score(_record("r2", category="report", urgency="urgent", contact_name="王建国"),
          FakeDraft({"category": ("help", 0.1), "urgency": ("urgent", 0.1), "contact_person": ("王 建国", 0.1)},
                    confident={"category"}, confidence={"category": 0.96, "urgency": 0.92,
                                                        "contact_person": 0.7}), result)
    assert result.total == 2
    acc = result.accuracy()
    assert acc["category"] == 0.5 and acc["contact_phone"] == 1.0 and acc["suggested_unit"] == 0.5
    assert acc["urgency"] == 1.0 and acc["enterprise_name"] == 1.0 and acc["contact_person"] == 1.0
    assert result.scored["contact_person"] == 1  # only where a record states it
    assert ("r2", "category", "report", "help") in result.misses
    table = {row["bucket"]: (row["count"], row["accuracy"]) for row in result.reliability()}
    # At 0.0, all right: r1's urgency, enterprise, order; r2's enterprise, phone, order, unit.
    assert table["0.00-0.20"] == (7, 1.0)
    assert table["0.40-0.60"] == (1, 0.0)  # r1's unit
    assert table["0.60-0.80"] == (1, 1.0)  # r2's contact person
    assert table["0.80-0.90"] == (1, 1.0)  # r1's phone
    assert table["0.90-0.95"] == (1, 1.0)  # r2's urgency
    assert table["0.95-1.00"] == (2, 0.5)  # r1's category right, r2's wrong
    assert sum(n for n, _ in table.values()) == 13  # 6 + 6 scored fields + 1 optional
    confident = result.confident_precision()
    assert confident["count"] == 3 and confident["precision"] == 0.667
    assert confident["per_field"]["category"] == {"count": 2, "precision": 0.5}
    assert confident["share_of_fields"] == round(3 / 13, 3)


def test_a_draft_that_marks_nothing_is_judged_by_the_thresholds_or_its_field_flags() -> None:
    by_threshold = Evaluation()
    draft = FakeDraft({"category": ("help", 0.7), "urgency": ("normal", 0.4), "order_number": ("20261120-0003", 0.9)})
    score(_record("t", category="help", urgency="urgent"), draft, by_threshold,
          thresholds={"category": 0.5, "urgency": 0.5})
    marked = {o.field for o in by_threshold.observations if o.confident}
    assert marked == {"category"}  # urgency under its threshold; order_number has none
    assert by_threshold.confident_precision()["precision"] == 1.0

    class Flagged(FakeDraft):
        def to_json(self) -> dict[str, Any]:
            out = super().to_json()
            out["urgency"]["confident"] = True
            return out

    by_flag = Evaluation()
    score(_record("f", category="help", urgency="urgent"), Flagged(dict(draft.values)), by_flag,
          thresholds={"category": 0.5})
    assert {o.field for o in by_flag.observations if o.confident} == {"urgency"}
    assert by_flag.confident_precision()["precision"] == 0.0
    assert expected_fields({"expected": {"contact_name": "李芳"}})["contact_person"] == "李芳"


def test_the_bench_prints_both_splits_side_by_side() -> None:
    spec = importlib.util.spec_from_file_location("extract_bench", DATA.parent.parent / "bench" / "extract_bench.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    one, two = Evaluation(), Evaluation()
    score(_record("a", category="help"), FakeDraft({"category": ("help", 0.99)}, confident={"category"}), one)
    score(_record("b", category="help"), FakeDraft({"category": ("report", 0.99)}, confident={"category"}), two)
    text = bench.tables({"tuning": bench.summary(one, 1.5), "validation": bench.summary(two, 2.0)})
    header, category = text.splitlines()[:2]
    assert header.split() == ["field", "tuning", "validation"]
    assert category.split() == ["category", "1.000", "0.000"]
    assert "confident-field precision (validation): 0.000 over 1 fields" in text
