"""From extracted fields to the edits of a draft order (pure).

Only fields the extractor is reasonably sure of are written into the draft; everything it found,
sure or not, goes into the suggestion with its confidence and transcript span, so the agent sees
the evidence and decides.
"""

from __future__ import annotations

from typing import Any

# Below these, a value is only suggested, not filled in.
FILL_THRESHOLD = {"category": 0.5, "urgency": 0.5, "enterprise_name": 0.6, "contact_phone": 0.5, "subject": 0.3}
EMPTY_CONTENT = "（录音中没有可识别的语音，请收听录音核实）"


def _value(fields: dict[str, Any], name: str) -> Any:
    field = fields.get(name) or {}
    value = field.get("value")
    if value in (None, "") or field.get("confidence", 0.0) < FILL_THRESHOLD.get(name, 0.0):
        return None
    return value


def draft_changes(fields: dict[str, Any], transcript_text: str, enterprise: dict[str, Any], *,
                  label: str = "转写原文", empty: str = EMPTY_CONTENT) -> dict[str, Any]:
    """Changes for ``AmendDraft``: ``fields`` is ``DraftFields.to_json()``; ``enterprise`` the draft's.

    ``label`` names the source text in the content (a transcript, an SMS, a fax's OCR text)."""
    if fields.get("empty") or not transcript_text.strip():
        return {"content": empty}
    summary = (fields.get("summary") or {}).get("value") or transcript_text
    changes: dict[str, Any] = {"content": f"{summary}\n\n【{label}】{transcript_text}"}
    if (category := _value(fields, "category")) is not None:
        changes["category"] = category
    if _value(fields, "urgency") == "urgent":
        changes["urgency"] = "urgent"
    if (subject := _value(fields, "subject")) is not None:
        changes["subject"] = str(subject)[:200]
    name, phone = _value(fields, "enterprise_name"), _value(fields, "contact_phone")
    if name is not None or phone is not None:
        changes["enterprise"] = {**enterprise, **({"name": name} if name else {}), **({"phone": phone} if phone else {})}
    return changes
