"""`extract_draft`: a transcript (Vosk text, fillers and all) to a DRAFT work order's fields."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from worksheet.callerid import caller_number
from worksheet.fax_header import blank_headers
from worksheet.model import Category

from . import classify
from .calibration_table import TABLE
from .catalogue import DispatchCatalogue
from .confidence import Steps, calibrate
from .contact import find_contact
from .directory import EnterpriseDirectory
from .numbers import as_order_number, as_phone, said_tail, spoken_numbers
from .text import Compact, clean, is_blank, with_audio
from .types import NOTHING, DraftFields, FieldValue, Span, TimedWord

CALLER_ON_FILE = 0.65  # confidence of an enterprise known only by the caller's mobile

SUBJECT_MAX = 20
# A company names itself; a pronoun is never part of its name ("我是张伟我们公司…" names no company).
_SELF_NAMED = re.compile(
    r"(?:我是|我们是|我这边是|这边是|我们这边是|我们|我在)"
    r"(?P<name>(?![这那一该])(?:(?![我你他她])[\u4e00-\u9fff]){2,16}?(?:股份有限公司|有限责任公司|有限公司|公司|厂|集团|合作社|商行|门市部|店))"
)
MASK = "\u25a1"  # stands in for an enterprise name so its words do not pick a unit


def _with_digits(text: str, fields: tuple[FieldValue, ...]) -> str:
    """`text` with the spoken numbers of `fields` written as digits, for the summary."""
    spans = sorted(((f.span.start, f.span.end, str(f.value)) for f in fields if f.span), reverse=True)
    for start, end, digits in spans:
        text = f"{text[:start]} {digits} {text[end:]}"
    return text


def extract_draft(
    text: str,
    *,
    directory: EnterpriseDirectory | None = None,
    catalogue: DispatchCatalogue | None = None,
    caller_id: str | None = None,
    words: Sequence[TimedWord] | None = None,
    calibration: Mapping[str, Steps] | None = TABLE,
) -> DraftFields:
    """The draft fields found in `text`; each with a confidence in [0, 1] and the span it came from
    (char offsets into `text`, plus audio offsets when the ASR `words` are given). Text with no
    usable speech gives `empty=True` and null values. A fax machine's header line is not what the
    sender wrote: no field, subject or summary comes from it (spans still index `text`). The
    confidences are calibrated by `calibration` (the measured chance of being right, see
    confidence.py); None gives the rules' raw scores, which is what calibration is fitted on."""
    # A line break ends a clause (a fax's title line is not the start of its next line's sentence).
    content = re.sub(r"(?<=[^\s，。！？；：,.!?;:])\n", "。", blank_headers(text or ""))
    if is_blank(content):
        return DraftFields(empty=True)
    c = Compact.of(content)
    ct = c.text

    def field(value: object, confidence: float, at: tuple[int, int] | None) -> FieldValue:
        span: Span | None = c.span(*at) if at else None
        return FieldValue(value, round(max(0.0, min(1.0, confidence)), 3), with_audio(span, text, words))

    order_number, contact_phone, tails = NOTHING, NOTHING, []
    for run in spoken_numbers(ct):
        if said_tail(run, ct):
            tails.append(run)
            continue
        order = as_order_number(run, ct)
        if order and order[1] > order_number.confidence:
            order_number = field(order[0], order[1], (run.start, run.end))
            continue
        phone = as_phone(run, ct)
        if phone and phone[1] > contact_phone.confidence:
            contact_phone = field(phone[0], phone[1], (run.start, run.end))

    enterprise, entry, masked = NOTHING, None, ct
    match = directory.find_in(ct) if directory else None
    if match:
        entry = match.entry
        enterprise = field(entry.name, match.score, (match.start, match.end))
        masked = ct[:match.start] + MASK * (match.end - match.start) + ct[match.end:]
    elif m := _SELF_NAMED.search(ct):
        enterprise = field(m.group("name"), 0.45 if directory else 0.6, m.span("name"))
        masked = ct[:m.start("name")] + MASK * len(m.group("name")) + ct[m.end("name"):]

    if enterprise is NOTHING and directory and (on_file := directory.by_mobile(caller_id)):
        # The registered contact's own mobile: most likely that enterprise, though nothing in the
        # text says so (no span); filled in for the agent to confirm.
        entry, enterprise = on_file, FieldValue(on_file.name, CALLER_ON_FILE, None)

    if contact_phone is NOTHING:
        if phone_id := caller_number(caller_id):
            # "尾号 八八八": the caller confirms the number they call from.
            tail = next((r for r in tails if phone_id.endswith(r.digits)), None)
            contact_phone = field(phone_id, 0.85, (tail.start, tail.end)) if tail else FieldValue(phone_id, 0.5, None)
        elif entry and entry.mobile:
            contact_phone = FieldValue(entry.mobile, 0.35, None)

    contact_person = NOTHING
    # Where the ASR put a space between words: a name may end there even without punctuation.
    breaks = frozenset(k for k in range(1, len(ct)) if c.index[k] - c.index[k - 1] > 1)
    if found := find_contact(masked, breaks):
        contact_person = field(found[0], found[1], found[2])

    cat, cat_conf, cat_at = classify.category(masked)
    urg, urg_conf, urg_at = classify.urgency(masked, cat, cat_conf)

    suggested_unit, keywords = NOTHING, ()
    suggestion = catalogue.suggest(masked) if catalogue else None
    if order_number is not NOTHING and cat is Category.CONSULTATION:
        suggestion = None  # asking about an existing order: it has its unit already
    if suggestion:
        suggested_unit = field(suggestion.unit, suggestion.confidence, (suggestion.start, suggestion.end))
        keywords = suggestion.keywords

    subject = NOTHING
    cue_words = keywords + tuple(cue for cues in classify.CATEGORY_CUES.values() for cue, _ in cues)
    if (at := classify.subject_clause(masked, cue_words)) and (value := clean(ct[at[0]:at[1]])):
        subject = field(value[:SUBJECT_MAX], 0.5 if keywords else 0.35, at)

    summary = clean(_with_digits(content, (contact_phone, order_number)))
    draft = DraftFields(
        category=field(cat, cat_conf, cat_at),
        urgency=field(urg, urg_conf, urg_at),
        enterprise_name=enterprise,
        contact_phone=contact_phone,
        contact_person=contact_person,
        order_number=order_number,
        suggested_unit=suggested_unit,
        subject=subject,
        summary=field(summary, 0.9, (0, len(ct))) if summary else NOTHING,
        empty=not summary,
    )
    if calibration is None:
        return draft
    if directory is None:  # the enterprise steps were measured with a directory to match against
        calibration = {name: steps for name, steps in calibration.items() if name != "enterprise_name"}
    return calibrate(draft, calibration)
