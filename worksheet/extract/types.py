"""Value types of a draft extraction: spans, field values, timed ASR words and the draft itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

FIELDS = (
    "category", "urgency", "enterprise_name", "contact_phone", "contact_person",
    "order_number", "suggested_unit", "subject", "summary",
)
# A field is confident (shown without the 「建议」 mark) when its calibrated confidence says it is
# right at least this often; see confidence.py.
CONFIDENT = 0.95


@dataclass(frozen=True)
class Span:
    """Character offsets [start, end) into the transcript, and the audio it came from when known."""

    start: int
    end: int
    audio_start: float | None = None
    audio_end: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "audio_start": self.audio_start, "audio_end": self.audio_end}


@dataclass(frozen=True)
class FieldValue:
    value: object
    confidence: float
    span: Span | None = None
    calibrated: bool = False  # confidence is a measured chance of being right (confidence.py)

    def to_json(self) -> dict[str, Any]:
        value = self.value.value if isinstance(self.value, Enum) else self.value
        return {
            "value": value,
            "confidence": round(self.confidence, 3),
            "span": self.span.to_json() if self.span else None,
        }


NOTHING = FieldValue(None, 0.0, None)


@dataclass(frozen=True)
class TimedWord:
    """One ASR word (Vosk `result` entry) with its audio offsets in seconds."""

    word: str
    start: float
    end: float


@dataclass(frozen=True)
class DraftFields:
    """A DRAFT work order read from a transcript; an agent confirms it before it becomes an order."""

    category: FieldValue = NOTHING
    urgency: FieldValue = NOTHING
    enterprise_name: FieldValue = NOTHING
    contact_phone: FieldValue = NOTHING
    contact_person: FieldValue = NOTHING
    order_number: FieldValue = NOTHING
    suggested_unit: FieldValue = NOTHING
    subject: FieldValue = NOTHING
    summary: FieldValue = NOTHING
    empty: bool = False

    @property
    def confidence(self) -> dict[str, float]:
        """Each field's confidence (calibrated: the chance it is right; 0 when nothing was found)."""
        return {name: getattr(self, name).confidence for name in FIELDS}

    @property
    def confident(self) -> frozenset[str]:
        """The fields found and calibrated to be right at least `CONFIDENT` of the time."""
        return frozenset(name for name in FIELDS if (f := getattr(self, name)).value is not None
                         and f.calibrated and f.confidence >= CONFIDENT)

    def to_json(self) -> dict[str, Any]:
        confident = self.confident
        out: dict[str, Any] = {name: {**getattr(self, name).to_json(), "confident": name in confident}
                               for name in FIELDS}
        out["empty"] = self.empty
        return out
