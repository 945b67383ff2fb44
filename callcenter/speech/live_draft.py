"""Live drafts, the pure part: when extraction runs again as a call's transcript grows, and which
of its fields go into the agent's open form (with their confidence and the words they came from).

Extraction is CPU work: it runs at once on a final segment (the recogniser settled a sentence),
and for partial results at most once per ``interval``; text that arrives while a run is under way
gets one more run after it, never a queue of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callcenter.sms.privacy import mask_phone
from callcenter.speech.drafts import draft_changes

PARTIAL_INTERVAL_S = 1.0

# Form inputs of the new-order form, by the extractor's field that fills them.
FORM_INPUTS = {"category": "category", "urgency": "urgency", "enterprise_name": "enterprise_name",
               "contact_person": "enterprise_contact_person", "contact_phone": "enterprise_phone",
               "subject": "subject", "summary": "content"}
# Found at one place in the text (subject and summary are drawn from all of it): these get a highlight.
SPANNED = frozenset({"category", "urgency", "enterprise_name", "contact_person", "contact_phone"})


@dataclass
class Debounce:
    """One call's extraction schedule. ``changed`` answers with a delay to (re)schedule the run, or
    None when a run already scheduled or under way covers the new text."""

    interval: float = PARTIAL_INTERVAL_S
    last_start: float | None = None
    due_at: float | None = None
    running: bool = False
    again: bool = False  # the text grew while a run was under way
    again_final: bool = False

    def changed(self, now: float, *, final: bool) -> float | None:
        if self.running:
            self.again, self.again_final = True, self.again_final or final
            return None
        due = now if final or self.last_start is None else max(now, self.last_start + self.interval)
        if self.due_at is not None and self.due_at <= due:
            return None
        self.due_at = due
        return due - now

    def started(self, now: float) -> None:
        self.running, self.again, self.again_final, self.due_at, self.last_start = True, False, False, None, now

    def finished(self, now: float) -> float | None:
        """The run ended: the delay of one more run for what came in meanwhile, or None."""
        again, again_final = self.again, self.again_final
        self.running = self.again = self.again_final = False
        return self.changed(now, final=again_final) if again else None


def _span(found: dict[str, Any], text: str) -> list[int] | None:
    span = found.get("span") or {}
    start, end = span.get("start"), span.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return [start, end]
    return None  # a stale or garbled span is left out rather than marking the wrong words


def form_fields(fields: dict[str, Any], text: str, *, reveal_phone: bool) -> list[dict[str, Any]]:
    """What to put into the form's inputs: exactly what a draft made after the call would get
    (``draft_changes``: the same thresholds), each with the extractor's confidence, its
    ``confident`` verdict when the extractor gives one, and its span in ``text``.

    ``reveal_phone``: the person's role sees numbers in full in a draft form; otherwise the number
    is not put into the form at all (a masked number in an input would be saved as typed)."""
    changes = draft_changes(fields, text, {})
    values: dict[str, Any] = {"category": changes.get("category"), "urgency": changes.get("urgency"),
                              "subject": changes.get("subject"), "summary": changes.get("content")}
    enterprise = changes.get("enterprise") or {}
    values |= {"enterprise_name": enterprise.get("name"), "contact_person": enterprise.get("contact_person"),
               "contact_phone": enterprise.get("phone")}
    out = []
    for name, value in values.items():
        if value in (None, "") or (name == "summary" and fields.get("empty")):
            continue
        found = fields.get(name) if isinstance(fields.get(name), dict) else {}
        entry: dict[str, Any] = {"field": name, "input": FORM_INPUTS[name], "value": str(value),
                                 "confidence": float(found.get("confidence") or 0.0),
                                 "span": _span(found, text) if name in SPANNED else None}
        if isinstance(found.get("confident"), bool):
            entry["confident"] = found["confident"]
        if name == "contact_phone" and not reveal_phone:
            entry["value"], entry["input"] = mask_phone(str(value)), None
        out.append(entry)
    return out
