"""Text helpers: joining Vosk's word-spaced Chinese output, and the CER scoring convention of the test set."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def _is_latin_or_digit(token: str) -> bool:
    """True for a token made of ASCII letters/digits (and their full-width forms): 'ABC', '12', 'Wi-Fi'."""
    core = unicodedata.normalize("NFKC", token)
    return bool(core) and core.isascii() and any(c.isalnum() for c in core)


def join_words(words: Iterable[str]) -> str:
    """Join Vosk tokens: Chinese without spaces, but keep one space between two Latin/digit tokens."""
    out: list[str] = []
    previous_latin = False
    for word in words:
        word = word.strip()
        if not word:
            continue
        latin = _is_latin_or_digit(word)
        if out and latin and previous_latin:
            out.append(" ")
        out.append(word)
        previous_latin = latin
    return "".join(out)


def join_text(spaced: str) -> str:
    """Vosk's ``"text"`` field ("你好 世界 ok 1") -> "你好世界ok 1"."""
    return join_words(spaced.split())


def normalize_for_cer(text: str) -> str:
    """NFKC, then keep only Unicode letters and numbers (drops punctuation and spaces)."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c)[0] in "LN")


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(pairs: Iterable[tuple[str, str]]) -> float:
    """Corpus CER over (reference, hypothesis) pairs: total edits / total reference characters."""
    edits = chars = 0
    for reference, hypothesis in pairs:
        ref, hyp = normalize_for_cer(reference), normalize_for_cer(hypothesis)
        edits += levenshtein(ref, hyp)
        chars += len(ref)
    return edits / chars if chars else 0.0
