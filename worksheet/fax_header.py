"""The fax machine's own line on each page (TSID, date and time, page number) is not what the sender
wrote: it is taken off the OCR text before a draft's subject and content are drawn from it.

A sending machine prints e.g. ``2026-12-06 10:00 FROM: 0816 2345678 P.1`` along the top edge of every
page (some along the bottom). A line counts as that header only when it has almost no Chinese and
carries the header's marks (a date with a time, FROM/TO/FAX/TEL, a page number), so a body line such as
``电话：13800138000`` or ``2026年11月23日上午，华翔路…`` is never dropped. OCR sometimes runs the header
into the first line of the body (``2026-11-23 10:15 FROM: 0816 2345678 P.1 关于…``): then the part up
to the page number is the header.
"""

from __future__ import annotations

import re

_HAN = re.compile(r"[\u3400-\u9fff]")
_DATE_TIME = re.compile(r"\d{2,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*\d{1,2}\s*[:：]\s*\d{2}")
_TIME = re.compile(r"(?<!\d)\d{1,2}\s*[:：]\s*\d{2}(?!\d)")
_MACHINE_WORD = re.compile(r"\b(?:FROM|TO|FAX|TEL|PAGE|TSID|ID)\b|发自|来自", re.IGNORECASE)
_PAGE = re.compile(r"(?<![A-Za-z])(?:P|PAGE|Pg)\s*[.:：]?\s*\d{1,3}(?:\s*/\s*\d{1,3})?(?!\d)|第\s*\d{1,3}\s*页(?:\s*/?\s*共\s*\d{1,3}\s*页)?",
                   re.IGNORECASE)
MAX_HAN = 4  # "发自", "第1页", a character or two of OCR noise
EDGE_LINES = 2  # the header is within the first (or last) two lines of a page


def _han(text: str) -> int:
    """Chinese characters other than the machine's own marks ("发自", "第1页/共2页")."""
    return len(_HAN.findall(_PAGE.sub("", _MACHINE_WORD.sub("", text))))


def is_machine_header(line: str) -> bool:
    text = line.strip()
    if not text or _han(text) > MAX_HAN:
        return False
    when, word, page = bool(_DATE_TIME.search(text) or _TIME.search(text)), bool(_MACHINE_WORD.search(text)), \
        bool(_PAGE.search(text))
    if when + word + page >= 2:
        return True
    # A lone date-and-time or page number with nothing Chinese (a machine printing only that).
    return not _HAN.search(text) and len(text) <= 40 and (page or bool(_DATE_TIME.search(text)))


# A header run into the body: date and time first, the page number last, little Chinese between.
_HEAD = re.compile(f"{_DATE_TIME.pattern}.{{0,60}}?(?:{_PAGE.pattern})\\s*", re.IGNORECASE)


def header_spans(text: str) -> list[tuple[int, int]]:
    """Offsets [start, end) of the machine's header lines anywhere in ``text`` (and of a header run into
    the start of a body line), so that an extractor can leave them out and keep its offsets."""
    spans: list[tuple[int, int]] = []
    at = 0
    for line in text.split("\n"):
        lead = len(line) - len(line.lstrip())
        if is_machine_header(line):
            spans.append((at, at + len(line)))
        elif (head := _HEAD.match(line, lead)) and _han(head.group()) <= MAX_HAN:
            spans.append((at + lead, at + head.end()))
        at += len(line) + 1
    return spans


def blank_headers(text: str) -> str:
    """``text`` with its header lines turned into spaces (same length, so offsets still hold)."""
    for start, end in header_spans(text):
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _strip_page(page: str) -> str:
    lines = page.split("\n")
    for _ in range(EDGE_LINES):
        if lines and is_machine_header(lines[0]):
            lines.pop(0)
    for _ in range(EDGE_LINES):
        if lines and is_machine_header(lines[-1]):
            lines.pop()
    return "\n".join(lines).strip()


def without_machine_headers(text: str) -> str:
    """The OCR text of a fax (pages separated by a blank line) without the machine's header lines."""
    pages = (_strip_page(page) for page in text.split("\n\n"))
    return "\n\n".join(page for page in pages if page)
