"""Transcript normalisation: Vosk puts spaces between words ("我 是 华 翔 物流 的"); the
extractors work on a compact copy without whitespace and map offsets back to the original."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .types import Span, TimedWord

# Fillers (语气词/口头禅) removed from the summary; longest first so "就是说" goes before "就是".
# "那个" is a filler only before a pause, a pronoun or another filler: "那个厂" is a determiner.
FILLERS = ("就是说", "就是", "然后", "嗯", "呃", "噢", "哦", "唉", "诶", "喂")
_FILLER_RE = re.compile(
    "|".join(map(re.escape, FILLERS))
    + r"|那个(?=\s*(?:[，,。？！?!]|$|那个|嗯|呃|啊|就是|然后|我|你|他|咱|是))"
)
_PUNCT = set("，。！？、；：,.!?;:…~ -—（）()\"'“”")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Compact:
    """`text` without whitespace; `index[i]` is the offset in the original of compact char i."""

    original: str
    text: str
    index: tuple[int, ...]

    @classmethod
    def of(cls, original: str) -> Compact:
        pairs = [(i, ch) for i, ch in enumerate(original) if not ch.isspace()]
        return cls(original, "".join(ch for _, ch in pairs), tuple(i for i, _ in pairs))

    def span(self, start: int, end: int) -> Span:
        """The original-text span of compact chars [start, end)."""
        return Span(self.index[start], self.index[end - 1] + 1)


def is_blank(text: str) -> bool:
    """True when nothing but whitespace, punctuation, fillers or Vosk's [unk] is left."""
    rest = _FILLER_RE.sub("", text.replace("[unk]", ""))
    return all(ch.isspace() or ch in _PUNCT or ch in "啊吧" for ch in rest)


def clean(text: str) -> str:
    """The transcript as readable text: fillers removed, Vosk's spaces between Chinese words dropped."""
    text = text.replace("[unk]", " ")
    text = _FILLER_RE.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    # Drop a space unless it separates two Latin/digit tokens.
    text = re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", text)
    text = re.sub(r"([，,。、])\1+", r"\1", text)
    return text.strip(" ，,、")


def with_audio(span: Span | None, original: str, words: Sequence[TimedWord] | None) -> Span | None:
    """The span with the audio offsets of the ASR words it overlaps (words are found in order)."""
    if span is None or not words:
        return span
    starts: list[float] = []
    ends: list[float] = []
    cursor = 0
    for word in words:
        token = word.word.strip()
        if not token:
            continue
        at = original.find(token, cursor)
        if at < 0:
            continue
        cursor = at + len(token)
        if at < span.end and cursor > span.start:
            starts.append(word.start)
            ends.append(word.end)
    if not starts:
        return span
    return Span(span.start, span.end, round(min(starts), 3), round(max(ends), 3))


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
