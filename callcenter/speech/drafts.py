"""From extracted fields to the edits of a draft order (pure).

Only fields the extractor is reasonably sure of are written into the draft; everything it found,
sure or not, goes into the suggestion with its confidence and transcript span, so the agent sees
the evidence and decides.
"""

from __future__ import annotations

from typing import Any

# Below these, a value is only suggested, not filled in.
FILL_THRESHOLD = {"category": 0.5, "urgency": 0.5, "enterprise_name": 0.6, "contact_phone": 0.5, "contact_person": 0.5,
                  "subject": 0.3}
EMPTY_CONTENT = "（录音中没有可识别的语音，请收听录音核实）"


def _value(fields: dict[str, Any], name: str) -> Any:
    field = fields.get(name) or {}
    value = field.get("value")
    if value in (None, "") or field.get("confidence", 0.0) < FILL_THRESHOLD.get(name, 0.0):
        return None
    return value


def _whole_text(summary: dict[str, Any], text: str) -> bool:
    """True when the summary is the whole source text tidied (fillers out, numbers as digits), as
    the extractor's is: its span runs from the first to the last character of the text."""
    span = summary.get("span") or {}
    start, end = span.get("start"), span.get("end")
    return isinstance(start, int) and isinstance(end, int) and start <= len(text) - len(text.lstrip()) \
        and end >= len(text.rstrip())


def draft_changes(fields: dict[str, Any], transcript_text: str, enterprise: dict[str, Any], *,
                  label: str = "转写原文", empty: str = EMPTY_CONTENT, written: bool = False) -> dict[str, Any]:
    """Changes for ``AmendDraft``: ``fields`` is ``DraftFields.to_json()``; ``enterprise`` the draft's.

    A summary that is the whole text tidied is the content alone (the text itself stays in the
    suggestion, shown beside the form with every field marked), so the order does not say the same
    thing twice; a summary of part of it is followed by the source text, named by ``label``. A
    ``written`` text (an SMS, a fax) is its own content as written, line breaks and all: the tidying
    is for a transcript's spaces and fillers."""
    if fields.get("empty") or not transcript_text.strip():
        return {"content": empty}
    summary = fields.get("summary") or {}
    if written or not summary.get("value"):
        content = transcript_text.strip()
    elif _whole_text(summary, transcript_text):
        content = str(summary["value"])
    else:
        content = f"{summary['value']}\n\n【{label}】{transcript_text}"
    changes: dict[str, Any] = {"content": content}
    if (category := _value(fields, "category")) is not None:
        changes["category"] = category
    if _value(fields, "urgency") == "urgent":
        changes["urgency"] = "urgent"
    if (subject := _value(fields, "subject")) is not None:
        changes["subject"] = str(subject)[:200]
    found = {key: _value(fields, name) for key, name in (("name", "enterprise_name"), ("phone", "contact_phone"),
                                                         ("contact_person", "contact_person"))}
    if any(found.values()):
        changes["enterprise"] = {**enterprise, **{k: v for k, v in found.items() if v}}
    return changes
