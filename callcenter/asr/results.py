"""Result types of the ASR engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

STATUSES = ("ok", "silent", "empty", "invalid-audio", "failed", "timeout")


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    conf: float

    @classmethod
    def many(cls, items: Iterable[tuple[str, float, float, float]]) -> tuple[Word, ...]:
        return tuple(cls(w, start, end, conf) for w, start, end, conf in items)


@dataclass(frozen=True)
class Transcript:
    text: str  # Chinese without spaces between words
    words: tuple[Word, ...]
    duration_s: float
    rtf: float | None  # decode time / audio time; None when nothing was decoded
    status: str  # one of STATUSES
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def not_decoded(cls, status: str, detail: str, duration_s: float = 0.0) -> Transcript:
        return cls("", (), duration_s, None, status, detail)

    @classmethod
    def from_decoder(cls, result: dict[str, Any]) -> Transcript:
        duration = float(result["duration_s"])
        rtf = result["decode_s"] / duration if duration > 0 else None
        return cls(result["text"], Word.many(result["words"]), duration, rtf, "ok")

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "text": self.text,
            "words": [[w.word, round(w.start, 3), round(w.end, 3), round(w.conf, 3)] for w in self.words],
            "duration_s": round(self.duration_s, 3),
            "rtf": None if self.rtf is None else round(self.rtf, 4),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class StreamResult:
    kind: str  # "partial" | "final"
    text: str
    words: tuple[Word, ...] = ()
