"""Spoken digit strings: phone numbers and order numbers read digit by digit.

Callers read numbers one digit at a time, with the telephone readings 幺 (1), 两 (2)
and 洞/〇 (0), in groups ("幺三八 零零幺三 八零零零"), sometimes with a filler between
groups. A digit followed by a measure word ("两个", "一下") is a count, not a digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

DIGITS = {
    **{str(i): str(i) for i in range(10)},
    **{chr(0xFF10 + i): str(i) for i in range(10)},  # full-width
    "零": "0", "〇": "0", "洞": "0", "幺": "1", "一": "1", "二": "2", "两": "2", "三": "3",
    "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
}
# After one of these a Chinese numeral counts things ("两个", "一下", "三十").
_NOT_DIGIT_AFTER = set("个下些样直定起般共天年月日号点次家位名台辆万千百十元块岁层楼栋期项条份件批周倍种")
_GAP = set("嗯呃额啊杠-—、，,.。 ")  # allowed between digit groups of one number
ORDER_CUES = ("工单编号", "工单号", "受理号", "单号", "编号", "工单")
PHONE_CUES = ("联系电话", "电话", "手机", "号码", "联系方式", "打")


@dataclass(frozen=True)
class DigitRun:
    digits: str
    start: int  # compact offsets [start, end)
    end: int


def _is_digit(text: str, i: int) -> bool:
    ch = text[i]
    if ch not in DIGITS:
        return False
    if ch.isascii() or ch in "幺洞〇":
        return True
    return not (i + 1 < len(text) and text[i + 1] in _NOT_DIGIT_AFTER)


def digit_runs(text: str, max_len: int = 12) -> list[DigitRun]:
    """Runs of spoken or written digits in `text`, groups joined across short filler gaps."""
    runs: list[DigitRun] = []
    i = 0
    while i < len(text):
        if not _is_digit(text, i):
            i += 1
            continue
        j = i
        while j < len(text) and _is_digit(text, j):
            j += 1
        runs.append(DigitRun("".join(DIGITS[c] for c in text[i:j]), i, j))
        i = j
    merged: list[DigitRun] = []
    for run in runs:
        if merged:
            prev = merged[-1]
            gap = text[prev.end:run.start]
            if len(gap) <= 2 and set(gap) <= _GAP and len(prev.digits) + len(run.digits) <= max_len:
                merged[-1] = DigitRun(prev.digits + run.digits, prev.start, run.end)
                continue
        merged.append(run)
    return merged


def _cue_before(text: str, start: int, cues: tuple[str, ...], window: int = 8) -> bool:
    before = text[max(0, start - window):start]
    return any(cue in before for cue in cues)


def is_date(digits: str) -> bool:
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return 2000 <= int(digits[:4]) <= 2099


def as_order_number(run: DigitRun, text: str) -> tuple[str, float] | None:
    """`YYYYMMDD-NNNN` and a confidence, when the run reads as an order number."""
    if len(run.digits) != 12:
        return None
    cue = _cue_before(text, run.start, ORDER_CUES)
    dated = is_date(run.digits)
    if not (cue or dated):
        return None
    confidence = 0.95 if cue and dated else 0.75 if dated else 0.4
    return f"{run.digits[:8]}-{run.digits[8:]}", confidence


MOBILE = re.compile(r"1[3-9]\d{9}")
_THREE_DIGIT_AREAS = {"010", "020", "021", "022", "023", "024", "025", "027", "028", "029"}


def as_phone(run: DigitRun, text: str) -> tuple[str, float] | None:
    """A mobile (11 digits), a landline with area code (0816…) or a local 7/8-digit number."""
    d = run.digits
    cue = _cue_before(text, run.start, PHONE_CUES, window=10)
    if MOBILE.fullmatch(d):
        return d, 0.95 if cue else 0.8
    if d.startswith("0") and len(d) in (11, 12):
        area = 3 if d[:3] in _THREE_DIGIT_AREAS else 4
        return f"{d[:area]}-{d[area:]}", 0.9 if cue else 0.7
    if cue and len(d) in (7, 8) and d[0] not in "01":
        return d, 0.7
    return None
