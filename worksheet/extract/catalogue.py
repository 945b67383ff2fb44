"""The dispatch catalogue (派单目录) and the duties catalogue (职责目录): what each unit handles,
as keywords and word combinations that suggest a handling unit.

Data, not code: `DispatchCatalogue.from_json` reads the parsed JSON, either the dispatch form
(`{"rules": [{"unit": "jtj", "keywords": ["道路", "限高"]}, ...]}`) or the duties form
(`{"units": [{"unit": "zjj", "duties": [...], "keywords": [...], "combos": [["消防", "验收"]]}]}`);
loading the files is the caller's business, and `merged` joins several. A combination names a
duty only when all its words occur (any order): "消防"+"验收" is the building department's fire
acceptance, "燃气"+"味" a gas hazard for emergency management, though each word alone says little.
A suggestion is only a suggestion: the agent dispatches; with weak or split evidence there is none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

COMBO_WEIGHT = 1.5  # a combination is worth more than its words apart: it names the duty
MIN_SCORE = 2.0  # less than one two-character keyword: no suggestion (unknown beats a guess)
CLOSE = 0.8  # a runner-up this close to the best makes the suggestion doubtful


@dataclass(frozen=True)
class Rule:
    unit: str
    keywords: tuple[str, ...]
    weight: float = 1.0
    combos: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Suggestion:
    unit: str
    confidence: float
    start: int  # offsets of the deciding keyword in the searched text
    end: int
    keywords: tuple[str, ...]
    score: float = 0.0  # evidence of the unit, and of the runner-up (0 when none)
    runner_up: float = 0.0


def _rule(item: Mapping[str, Any]) -> Rule:
    keywords = tuple(k for k in item.get("keywords", []) if k)
    combos = tuple(tuple(w for w in c if w) for c in item.get("combos", []) if len([w for w in c if w]) >= 2)
    if not item.get("unit") or not (keywords or combos):
        raise ValueError(f"catalogue entry needs a unit and keywords: {item!r}")
    return Rule(str(item["unit"]), keywords, float(item.get("weight", 1.0)), combos)


def _join(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    """One rule per unit: keywords and combinations of all its entries (the first weight)."""
    by_unit: dict[str, Rule] = {}
    for rule in rules:
        if (old := by_unit.get(rule.unit)) is None:
            by_unit[rule.unit] = rule
        else:
            keywords = old.keywords + tuple(k for k in rule.keywords if k not in old.keywords)
            by_unit[rule.unit] = Rule(rule.unit, keywords, old.weight, old.combos + rule.combos)
    return tuple(by_unit.values())


class DispatchCatalogue:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = _join(rules)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DispatchCatalogue:
        return cls(_rule(item) for item in [*data.get("rules", []), *data.get("units", [])])

    @classmethod
    def merged(cls, *catalogues: DispatchCatalogue) -> DispatchCatalogue:
        return cls(rule for c in catalogues for rule in c.rules)

    @property
    def units(self) -> frozenset[str]:
        return frozenset(r.unit for r in self.rules)

    @staticmethod
    def _evidence(rule: Rule, text: str) -> tuple[float, list[tuple[int, str]]]:
        score = 0.0
        hits: list[tuple[int, str]] = []
        for keyword in sorted(rule.keywords, key=len, reverse=True):
            at = text.find(keyword)
            # A keyword inside a longer keyword already counted adds nothing.
            if at < 0 or any(at >= a and at + len(keyword) <= a + len(k) for a, k in hits):
                continue
            hits.append((at, keyword))
            score += len(keyword) * rule.weight
        for combo in rule.combos:
            places = [text.find(w) for w in combo]
            if all(at >= 0 for at in places):
                score += COMBO_WEIGHT * sum(map(len, combo)) * rule.weight
                hits.extend((at, w) for at, w in zip(places, combo, strict=True) if (at, w) not in hits)
        return score, hits

    def suggest(self, text: str) -> Suggestion | None:
        """The unit whose duties cover most of `text` (longer keywords and combinations count
        more), or None when the evidence is too weak."""
        scored: list[tuple[float, int, Suggestion]] = []
        for rule in self.rules:
            score, hits = self._evidence(rule, text)
            if hits:
                at, keyword = max(hits, key=lambda h: (len(h[1]), -h[0]))
                found = tuple(dict.fromkeys(k for _, k in sorted(hits)))
                scored.append((score, -min(a for a, _ in hits),
                               Suggestion(rule.unit, 0.0, at, at + len(keyword), found, score)))
        if not scored:
            return None
        scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
        score, _, best = scored[0]
        if score < MIN_SCORE:
            return None
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        confidence = min(0.9, 0.35 + 0.08 * score)
        if runner_up >= CLOSE * score:
            confidence *= 0.7
        return Suggestion(best.unit, round(confidence, 3), best.start, best.end, best.keywords, score, runner_up)
