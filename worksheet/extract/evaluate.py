"""Per-field accuracy and reliability of `extract_draft` over labelled transcripts (reading the
files is the caller's job; see tests/data/README.md for the sets).

A record is `{"id", "text", "caller_id", "channel"?, "expected": {field: value or null}}`; a field is
right when the extracted value equals the expected one (null expected means nothing should be
found; strings compare without whitespace, as ASR text spaces words, and phones without dashes).
The six SCORED_FIELDS are scored on every record (a missing key means null); OPTIONAL_FIELDS only
where the record states them.

Reliability: every scored field of every draft is one observation (confidence, right or wrong).
The confidence is `draft.confidence[field]` when the draft carries such a mapping, else the field's
own `confidence`. A field is *confident* when the draft says so (`draft.confident`, a set of field
names, or a field's `"confident"` flag); a draft that says nothing is judged by `thresholds`
(field -> minimum confidence of a non-null value; a field without a threshold is never confident).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .catalogue import DispatchCatalogue
from .directory import EnterpriseDirectory
from .draft import extract_draft

SCORED_FIELDS = ("category", "urgency", "enterprise_name", "contact_phone", "order_number", "suggested_unit")
OPTIONAL_FIELDS = ("contact_person",)
ALIASES = {"contact_name": "contact_person"}  # expected-key spellings a set may use
BUCKETS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95)  # lower edges of the reliability table's rows


@dataclass(frozen=True)
class Observation:
    record: str
    field: str
    confidence: float
    confident: bool
    right: bool


@dataclass
class Evaluation:
    total: int = 0
    correct: dict[str, int] = field(default_factory=dict)
    scored: dict[str, int] = field(default_factory=dict)
    misses: list[tuple[str, str, Any, Any]] = field(default_factory=list)  # (id, field, expected, got)
    observations: list[Observation] = field(default_factory=list)

    def accuracy(self) -> dict[str, float]:
        return {f: round(self.correct.get(f, 0) / n, 3) for f, n in self.scored.items() if n}

    def reliability(self, buckets: Sequence[float] = BUCKETS) -> list[dict[str, Any]]:
        """Rows `{"bucket": "0.80-0.90", "count", "accuracy"}`, one per confidence bucket that holds
        observations (a confidence of 1.0 falls in the last bucket)."""
        edges = sorted(buckets)
        rows: list[dict[str, Any]] = []
        for i, low in enumerate(edges):
            high = edges[i + 1] if i + 1 < len(edges) else None
            inside = [o for o in self.observations
                      if o.confidence >= low and (high is None or o.confidence < high)]
            if inside:
                label = f"{low:.2f}-{high:.2f}" if high is not None else f"{low:.2f}-1.00"
                rows.append({"bucket": label, "count": len(inside),
                             "accuracy": round(sum(o.right for o in inside) / len(inside), 3)})
        return rows

    def confident_precision(self) -> dict[str, Any]:
        """How often a field the draft marks confident is right, overall and per field."""
        marked = [o for o in self.observations if o.confident]
        per_field = {}
        for name in dict.fromkeys(o.field for o in marked):
            mine = [o for o in marked if o.field == name]
            per_field[name] = {"count": len(mine), "precision": round(sum(o.right for o in mine) / len(mine), 3)}
        return {"count": len(marked),
                "precision": round(sum(o.right for o in marked) / len(marked), 3) if marked else None,
                "share_of_fields": round(len(marked) / len(self.observations), 3) if self.observations else 0.0,
                "per_field": per_field}


def expected_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a record is scored on, with their expected values (aliases resolved)."""
    given = {ALIASES.get(k, k): v for k, v in (record.get("expected") or {}).items()}
    out = {name: given.get(name) for name in SCORED_FIELDS}
    out.update({name: given[name] for name in OPTIONAL_FIELDS if name in given})
    return out


def same(name: str, expected: Any, got: Any) -> bool:
    """Equal as an agent would judge: ASR spaces do not count, nor a phone's grouping
    ("0816-2236610" is "08162236610")."""
    if isinstance(expected, str) and isinstance(got, str):
        drop = " \t\n-" if name == "contact_phone" else " \t\n"
        return "".join(c for c in expected if c not in drop) == "".join(c for c in got if c not in drop)
    return bool(expected == got)


def _confidences(draft: Any, as_json: Mapping[str, Any]) -> dict[str, float]:
    given = getattr(draft, "confidence", None)
    if isinstance(given, Mapping):
        return {k: float(v) for k, v in given.items()}
    return {k: float(v.get("confidence") or 0.0) for k, v in as_json.items() if isinstance(v, Mapping)}


def _confident(draft: Any, as_json: Mapping[str, Any], confidence: Mapping[str, float],
               thresholds: Mapping[str, float] | None) -> set[str]:
    given = getattr(draft, "confident", None)
    if given is not None:
        return set(given)
    flagged = {k for k, v in as_json.items() if isinstance(v, Mapping) and "confident" in v}
    if flagged:
        return {k for k in flagged if as_json[k]["confident"]}
    return {k for k, low in (thresholds or {}).items()
            if isinstance(as_json.get(k), Mapping) and as_json[k].get("value") not in (None, "")
            and confidence.get(k, 0.0) >= low}


def score(record: Mapping[str, Any], draft: Any, result: Evaluation,
          thresholds: Mapping[str, float] | None = None) -> None:
    """Add one record's draft (a `DraftFields` or anything with `to_json()`) to `result`."""
    as_json = draft.to_json()
    confidence = _confidences(draft, as_json)
    confident = _confident(draft, as_json, confidence, thresholds)
    rid = str(record.get("id"))
    result.total += 1
    for name, expected in expected_fields(record).items():
        got = (as_json.get(name) or {}).get("value")
        right = same(name, expected, got)
        result.scored[name] = result.scored.get(name, 0) + 1
        result.correct[name] = result.correct.get(name, 0) + right
        if not right:
            result.misses.append((rid, name, expected, got))
        result.observations.append(Observation(rid, name, confidence.get(name, 0.0), name in confident, right))


def evaluate(records: Iterable[Mapping[str, Any]], *, directory: EnterpriseDirectory | None,
             catalogue: DispatchCatalogue | None, thresholds: Mapping[str, float] | None = None) -> Evaluation:
    result = Evaluation()
    for record in records:
        draft = extract_draft(record["text"], directory=directory, catalogue=catalogue,
                              caller_id=record.get("caller_id"))
        score(record, draft, result, thresholds)
    return result
