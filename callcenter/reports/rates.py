"""A rate as its two counts, so a reader can check it and a UI can show "—" for an empty one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """None when nothing was counted: 0/0 is "no data", not 0% (nor 100%)."""
        return round(self.numerator / self.denominator, 4) if self.denominator else None

    def to_json(self) -> dict[str, Any]:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value}


@dataclass(frozen=True, slots=True)
class NamedRate:
    """A headline rate with its Chinese name and the definition it was computed by."""

    key: str
    label: str
    rate: Rate
    definition: str

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, **self.rate.to_json(), "definition": self.definition}


def percent(rate: Rate) -> str:
    """For exports: "93.75%", or "—" when there is no denominator."""
    return "—" if rate.value is None else f"{rate.numerator / rate.denominator:.2%}"
