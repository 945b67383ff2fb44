"""Per-field accuracy of `extract_draft` over labelled transcripts (the dev set; reading it is the caller's job).

A record is `{"id", "text", "caller_id", "expected": {field: value or null}}`; a field is right
when the extracted value equals the expected one (null expected means nothing should be found).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalogue import DispatchCatalogue
from .directory import EnterpriseDirectory
from .draft import extract_draft

SCORED_FIELDS = ("category", "urgency", "enterprise_name", "contact_phone", "order_number", "suggested_unit")


@dataclass
class Evaluation:
    total: int = 0
    correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SCORED_FIELDS, 0))
    misses: list[tuple[str, str, Any, Any]] = field(default_factory=list)  # (id, field, expected, got)

    def accuracy(self) -> dict[str, float]:
        return {f: round(n / self.total, 3) if self.total else 0.0 for f, n in self.correct.items()}


def evaluate(records: Iterable[Mapping[str, Any]], *, directory: EnterpriseDirectory | None,
             catalogue: DispatchCatalogue | None) -> Evaluation:
    result = Evaluation()
    for record in records:
        draft = extract_draft(record["text"], directory=directory, catalogue=catalogue,
                              caller_id=record.get("caller_id")).to_json()
        result.total += 1
        for name in SCORED_FIELDS:
            expected, got = record["expected"].get(name), draft[name]["value"]
            if expected == got:
                result.correct[name] += 1
            else:
                result.misses.append((str(record.get("id")), name, expected, got))
    return result
