"""Unit rankings (排名) for the quarterly assessment and half-year ranking (RULES.md §5).

The documents rank units without giving a formula, so the score is ours, stated in the report:

    score = 100 × weighted mean of (on-time rate 40, satisfaction rate 40, 1 − return rate 20)
            − 2 per yellow card − 5 per red card, kept within 0–100.

A component whose denominator is 0 (e.g. no callbacks yet) is dropped and the remaining weights
rescaled, so a unit is neither rewarded nor punished for having nothing to measure. A unit with no
component at all has no score and is listed last. Ties are broken by on-time rate, then by more
dispatched orders (more work handled), then by unit code, so the order is always the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callcenter.reports.rates import Rate
from callcenter.reports.tallies import Tally

WEIGHTS = (("on_time", 40), ("satisfaction", 40), ("kept", 20))
YELLOW_PENALTY, RED_PENALTY = 2.0, 5.0
DEFINITION = (
    "score = 100 × weighted mean of on-time rate (40), satisfaction rate (40) and 1 − return rate (20), "
    "components without a denominator dropped and the weights rescaled; minus 2 per yellow and 5 per red "
    "card issued in the period; clamped to 0–100. No component → no score, ranked last. Ties: on-time rate, "
    "then dispatched (more first), then unit code."
)


@dataclass(frozen=True, slots=True)
class UnitRank:
    rank: int
    unit: str
    name: str
    tally: Tally
    score: float | None

    @property
    def on_time(self) -> Rate:
        return Rate(self.tally.on_time, self.tally.judged)

    @property
    def satisfaction(self) -> Rate:
        return Rate(self.tally.satisfied, self.tally.rated)

    @property
    def returns(self) -> Rate:
        return Rate(self.tally.returned, self.tally.dispatched)

    def to_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "unit": self.unit, "name": self.name, "score": self.score, **self.tally.to_json(),
                "on_time_rate": self.on_time.to_json(), "satisfaction_rate": self.satisfaction.to_json(),
                "return_rate": self.returns.to_json()}


def score(tally: Tally) -> float | None:
    parts = {
        "on_time": _ratio(tally.on_time, tally.judged),
        "satisfaction": _ratio(tally.satisfied, tally.rated),
        "kept": None if not tally.dispatched else 1 - min(tally.returned, tally.dispatched) / tally.dispatched,
    }
    weighted = [(parts[key], weight) for key, weight in WEIGHTS if parts[key] is not None]
    if not weighted:
        return None
    base = 100 * sum(v * w for v, w in weighted if v is not None) / sum(w for _, w in weighted)
    penalty = YELLOW_PENALTY * tally.yellow_cards + RED_PENALTY * tally.red_cards
    return round(min(100.0, max(0.0, base - penalty)), 2)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def rank_units(units: Mapping[str, Tally], names: Mapping[str, str]) -> list[UnitRank]:
    scored = [(code, tally, score(tally)) for code, tally in units.items()]

    def order(item: tuple[str, Tally, float | None]) -> tuple[Any, ...]:
        code, tally, s = item
        on_time = _ratio(tally.on_time, tally.judged)
        return (s is None, -(s or 0.0), on_time is None, -(on_time or 0.0), -tally.dispatched, code)

    return [UnitRank(i, code, names.get(code, code), tally, s)
            for i, (code, tally, s) in enumerate(sorted(scored, key=order), start=1)]
