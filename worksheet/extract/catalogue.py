"""The dispatch catalogue (派单目录): keyword lists that suggest a handling unit.

Data, not code: `DispatchCatalogue.from_json` reads the parsed JSON
(`{"rules": [{"unit": "jtj", "keywords": ["道路", "限高"]}, ...]}`); loading the file is the
caller's business. A suggestion is only a suggestion: the agent dispatches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    unit: str
    keywords: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Suggestion:
    unit: str
    confidence: float
    start: int  # offsets of the deciding keyword in the searched text
    end: int
    keywords: tuple[str, ...]


class DispatchCatalogue:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DispatchCatalogue:
        rules = []
        for item in data.get("rules", []):
            keywords = tuple(k for k in item.get("keywords", []) if k)
            if not item.get("unit") or not keywords:
                raise ValueError(f"dispatch catalogue rule needs a unit and keywords: {item!r}")
            rules.append(Rule(str(item["unit"]), keywords, float(item.get("weight", 1.0))))
        return cls(rules)

    @property
    def units(self) -> frozenset[str]:
        return frozenset(r.unit for r in self.rules)

    def suggest(self, text: str) -> Suggestion | None:
        """The unit whose keywords cover most of `text` (longer keywords count more)."""
        scored: list[tuple[float, int, Suggestion]] = []
        for rule in self.rules:
            score = 0.0
            hits: list[tuple[int, str]] = []
            for keyword in sorted(rule.keywords, key=len, reverse=True):
                at = text.find(keyword)
                # A keyword inside a longer keyword already counted adds nothing.
                if at < 0 or any(at >= a and at + len(keyword) <= a + len(k) for a, k in hits):
                    continue
                hits.append((at, keyword))
                score += len(keyword) * rule.weight
            if hits:
                at, keyword = max(hits, key=lambda h: (len(h[1]), -h[0]))
                found = tuple(k for _, k in sorted(hits))
                scored.append((score, -min(a for a, _ in hits),
                               Suggestion(rule.unit, 0.0, at, at + len(keyword), found)))
        if not scored:
            return None
        scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
        score, _, best = scored[0]
        confidence = min(0.9, 0.35 + 0.08 * score)
        if len(scored) > 1 and scored[1][0] >= 0.8 * score:  # a close runner-up
            confidence *= 0.7
        return Suggestion(best.unit, round(confidence, 3), best.start, best.end, best.keywords)
