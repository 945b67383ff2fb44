"""The enterprise directory (企业名录) and pinyin-aware fuzzy matching of spoken names.

ASR hears homophones ("华翔物流" as "华祥物流" or "花香物流") and callers drop the region
prefix and the company-form suffix ("有限公司"), or say a shorter name ("恒瑞电子") or only
the brand ("华翔公司"). So each entry is matched on its variants (full name; core without
region/suffix; shorter forms without industry words; the bare brand, only when said as a
company), comparing toneless pinyin with Sichuan-style fuzzy initials and finals
(zh/z, n/l, f/h, -ng/-n) and, to a lesser weight, the characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from worksheet.callerid import caller_number

from .names import core_name, normalize_name, pinyin, short_forms, similarity

THRESHOLD = 0.72
_WEIGHTS = {"full": 1.0, "core": 1.0, "short": 0.97, "brand": 0.86}


@dataclass(frozen=True)
class DirectoryEntry:
    name: str
    credit_code: str | None = None
    contact_person: str | None = None
    mobile: str | None = None
    address: str | None = None
    district: str | None = None


@dataclass(frozen=True)
class Match:
    entry: DirectoryEntry
    score: float
    start: int = 0  # offsets [start, end) of the matched text in the searched string
    end: int = 0


def _said_as_company(text: str, start: int, end: int) -> bool:
    return text.startswith(_COMPANY_AFTER, end) or text[max(0, start - 2):start].endswith(_COMPANY_BEFORE)


_COMPANY_AFTER = ("公司", "厂", "集团", "有限", "这边", "的")
_COMPANY_BEFORE = ("是", "我们", "在")


class EnterpriseDirectory:
    """Enterprises callers may name; built from entries (CSV or database rows, loaded outside)."""

    def __init__(self, entries: Iterable[DirectoryEntry], threshold: float = THRESHOLD) -> None:
        self.entries: tuple[DirectoryEntry, ...] = tuple(entries)
        self.threshold = threshold
        self._by_name = {normalize_name(e.name): e for e in self.entries}
        self._by_mobile = {caller_number(e.mobile): e for e in self.entries if caller_number(e.mobile)}
        # (entry, weight, text, pinyin, is_brand)
        self._variants: list[tuple[DirectoryEntry, float, str, list[str], bool]] = []
        for entry in self.entries:
            full = normalize_name(entry.name)
            core = core_name(full)
            shorter, brand = short_forms(core)
            forms = [("full", full), ("core", core), *(("short", f) for f in shorter), ("brand", brand)]
            seen: set[str] = set()
            for kind, text in forms:
                if text and text not in seen and len(text) >= 2:
                    seen.add(text)
                    self._variants.append((entry, _WEIGHTS[kind], text, pinyin(text), kind == "brand"))

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, name: str) -> DirectoryEntry | None:
        return self._by_name.get(normalize_name(name))

    def by_mobile(self, number: str | None) -> DirectoryEntry | None:
        """The entry whose registered contact has this mobile (any caller-ID spelling of it)."""
        key = caller_number(number)
        return self._by_mobile.get(key) if key else None

    def match(self, name: str) -> Match | None:
        """The entry a (possibly misheard, abbreviated) name stands for, or None below the threshold."""
        exact = self.get(name)
        if exact:
            return Match(exact, 1.0, 0, len(name))
        heard = core_name(name)
        heard_py = pinyin(heard)
        best: Match | None = None
        for entry, weight, text, text_py, _ in self._variants:
            score = weight * similarity(heard, heard_py, text, text_py)
            if best is None or score > best.score:
                best = Match(entry, score, 0, len(name))
        return best if best and best.score >= self.threshold else None

    def find_in(self, text: str) -> Match | None:
        """The best entry named anywhere in `text` (no whitespace expected), with its offsets."""
        text_py = pinyin(text)
        heard = set(text_py)
        best: Match | None = None
        for entry, weight, name, name_py, is_brand in self._variants:
            wanted = set(name_py)
            size = len(name)
            if len(wanted & heard) * 2 < len(wanted):  # cheap: most entries share few syllables
                continue
            for length in (size, size - 1, size + 1):
                if length < 2 or length > len(text):
                    continue
                for start in range(len(text) - length + 1):
                    window_py = text_py[start:start + length]
                    if sum(s in wanted for s in window_py) * 2 < size:
                        continue
                    # A bare brand ("华翔") is common words unless said as a company: "华翔公司", "是华翔的".
                    if is_brand and not _said_as_company(text, start, start + length):
                        continue
                    score = weight * similarity(text[start:start + length], window_py, name, name_py)
                    if length != size:
                        score -= 0.02
                    if best is None or score > best.score + 1e-9:
                        best = Match(entry, min(score, 1.0), start, start + length)
        return best if best and best.score >= self.threshold else None
