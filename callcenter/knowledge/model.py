"""Articles, their validation, and the knowledge base's errors.

Validation lives here, not in the HTTP handlers, so the CLI loader and the API reject the same
things with the same messages (ValidationError → 422).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callcenter.db.errors import StorageError, VersionConflict
from worksheet.errors import ValidationError

STATUSES = ("published", "draft", "archived")
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_CATEGORY = 32
MAX_KEYWORDS = 30
MAX_KEYWORD = 32
MAX_UNIT = 64
DEFAULT_CATEGORY = "其他"


@dataclass(frozen=True)
class Article:
    id: int
    title: str
    body: str
    category: str
    keywords: tuple[str, ...]
    unit: str | None
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "body": self.body, "category": self.category,
                "keywords": list(self.keywords), "unit": self.unit, "status": self.status,
                "version": self.version, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(), "updated_by": self.updated_by}


@dataclass(frozen=True)
class ArticleFields:
    """What an editor sets; id, version and times belong to the repository."""

    title: str
    body: str
    category: str = DEFAULT_CATEGORY
    keywords: tuple[str, ...] = ()
    unit: str | None = None
    status: str = "published"


class ArticleNotFound(StorageError):
    error_id = "kb-article-not-found"
    title = "No such knowledge-base article"

    def __init__(self, article_id: int) -> None:
        super().__init__(f"no knowledge-base article {article_id}")
        self.article_id = article_id


class ArticleVersionConflict(VersionConflict):
    """A VersionConflict (so 409 through the existing mapping) worded for articles."""

    title = "The article has changed"

    def __init__(self, article_id: int, expected: int) -> None:
        StorageError.__init__(self, f"article {article_id} is no longer at version {expected}; "
                                    "reload it and try again")
        self.number = str(article_id)
        self.expected = expected


def _text(data: dict[str, Any], name: str, limit: int, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string")
    if len(value) > limit:
        raise ValidationError(f"{name} is longer than {limit} characters")
    return value  # kept verbatim: escaping is the reader's job, and answers are read out as written


def _keywords(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ValidationError("keywords must be a list of strings")
    words = tuple(dict.fromkeys(k.strip() for k in value if k.strip()))
    if len(words) > MAX_KEYWORDS or any(len(k) > MAX_KEYWORD for k in words):
        raise ValidationError(f"at most {MAX_KEYWORDS} keywords of at most {MAX_KEYWORD} characters each")
    return words


def validate(data: dict[str, Any]) -> ArticleFields:
    """The fields of a JSON object; raises ValidationError on anything an article cannot hold."""
    status = data.get("status", "published")
    if status not in STATUSES:
        raise ValidationError(f"status must be one of: {', '.join(STATUSES)}")
    category = _text(data, "category", MAX_CATEGORY, required=False) if data.get("category") else None
    return ArticleFields(
        title=str(_text(data, "title", MAX_TITLE, required=True)),
        body=str(_text(data, "body", MAX_BODY, required=True)),
        category=(category or DEFAULT_CATEGORY).strip(),
        keywords=_keywords(data.get("keywords")),
        unit=_text(data, "unit", MAX_UNIT, required=False),
        status=str(status),
    )


def merged(current: Article, changes: dict[str, Any]) -> dict[str, Any]:
    """`current` as a JSON object with `changes` laid over it: an update names only what it changes."""
    base = {"title": current.title, "body": current.body, "category": current.category,
            "keywords": list(current.keywords), "unit": current.unit, "status": current.status}
    return base | {k: v for k, v in changes.items() if k in base}
