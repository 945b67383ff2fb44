"""An Okapi BM25 index over knowledge-base articles (pure, in memory, no I/O).

The base is a few hundred to a few thousand short articles, so a whole-corpus index rebuilt on
change is cheaper and simpler than keeping a full-text index in two databases that do Chinese
differently (SQLite has no Chinese tokenizer; PostgreSQL needs zhparser).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from callcenter.knowledge.tokens import tokenize

K1 = 1.5
B = 0.75
# Titles and keywords are short and chosen by an editor; a match there says more than one in the body.
TITLE_WEIGHT = 2
KEYWORD_WEIGHT = 2


@dataclass(frozen=True)
class Document:
    id: int
    title: str
    keywords: Sequence[str]
    body: str


@dataclass(frozen=True)
class Hit:
    id: int
    score: float
    terms: tuple[str, ...]  # query terms the article contains, in query order, for highlighting


def _outermost(terms: list[str]) -> tuple[str, ...]:
    """Drops sub-words of other matched terms (公积 and 积金 beside 公积金): the UI highlights spans."""
    return tuple(t for t in terms if not any(t != other and t in other for other in terms))


class Bm25Index:
    """Field-weighted BM25: a term's frequency is 2×title + 2×keywords + body, and the document
    length is weighted the same way (BM25F with one shared length normalisation)."""

    def __init__(self, documents: Iterable[Document], *, k1: float = K1, b: float = B) -> None:
        self.k1, self.b = k1, b
        self._tf: dict[int, Counter[str]] = {}
        self._length: dict[int, int] = {}
        df: Counter[str] = Counter()
        for doc in documents:
            tf: Counter[str] = Counter()
            for term in tokenize(doc.title):
                tf[term] += TITLE_WEIGHT
            for term in tokenize(" ".join(doc.keywords)):
                tf[term] += KEYWORD_WEIGHT
            tf.update(tokenize(doc.body))
            self._tf[doc.id] = tf
            self._length[doc.id] = sum(tf.values())
            df.update(tf.keys())
        n = len(self._tf)
        self._avg_length = (sum(self._length.values()) / n) if n else 0.0
        # Lucene's idf: never negative, so a term in most articles still counts a little.
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def __len__(self) -> int:
        return len(self._tf)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """The best `limit` articles for `query`; ties go to the lower id so results are stable."""
        terms = list(dict.fromkeys(t for t in tokenize(query) if t in self._idf))
        if not terms or limit <= 0:
            return []
        hits = []
        for doc_id, tf in self._tf.items():
            matched = [t for t in terms if t in tf]
            if not matched:
                continue
            norm = self.k1 * (1 - self.b + self.b * self._length[doc_id] / self._avg_length)
            score = sum(self._idf[t] * tf[t] * (self.k1 + 1) / (tf[t] + norm) for t in matched)
            hits.append(Hit(doc_id, score, _outermost(matched)))
        hits.sort(key=lambda h: (-h.score, h.id))
        return hits[:limit]
