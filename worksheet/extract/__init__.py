"""Draft extraction from hotline transcripts (pure: directory and catalogue are passed in as data)."""

from __future__ import annotations

from .catalogue import DispatchCatalogue, Rule, Suggestion
from .directory import DirectoryEntry, EnterpriseDirectory, Match
from .draft import extract_draft
from .types import DraftFields, FieldValue, Span, TimedWord

__all__ = [
    "DirectoryEntry", "DispatchCatalogue", "DraftFields", "EnterpriseDirectory", "FieldValue", "Match",
    "Rule", "Span", "Suggestion", "TimedWord", "extract_draft",
]
