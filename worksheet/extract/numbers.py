"""Spoken digit strings: phone numbers and order numbers read digit by digit.

Callers read numbers one digit at a time, with the telephone readings 幺 (1), 两 (2)
and 洞/〇 (0), in groups ("幺三八 零零幺三 八零零零"), sometimes with a filler or a linking
phrase between groups ("…三幺六五 后面是 三个八"). Repeats are said as counts: "两个零" is 00,
"三个八" is 888. Otherwise a digit followed by a measure word ("两个人", "一下") is a count.

A caller who corrects a number ("…零零四四 哦不对 是 零零四三", "不是…是…", "我再说一遍") means
the later digits: they replace the whole number, or its tail when fewer digits are said again.
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
_NOT_DIGIT_AFTER = set("个下些样直定起般共天年月日号点次家位名台辆万千百十元块岁层楼栋期项条份件批周倍种遍趟回句分秒斤米")
_GAP = set("嗯呃额啊杠-—、，,.。 ")  # allowed between digit groups of one number
# Linking words between the groups of one number: "幺三六零 三幺六五 后面是 三个八".
_LINK = re.compile(r"(?:[嗯呃额啊杠\-—、，,.。 ]|后面是|后面|然后是|然后|接着是|接着|再是|最后是|那个|就是)+")
# How the ASR may write 幺 (yāo); taken for 1 only between two digits, since 要 is also "want".
_YAO_HOMOPHONES = set("要腰妖")
_REPEAT_COUNT = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}  # "三个八" = 888
# Said between a number and the digits that replace it.
CORRECTION = re.compile(r"不对|错了|说错|搞错|应该是|我再说一遍|再说一遍|重新说|更正一下|更正|纠正一下|改成|改一下")
_OTHER_THAN = re.compile(r"不是$")  # "不是 A 是 B": A is what the caller takes back
TAIL_CUES = ("尾号", "尾数", "后四位", "后三位", "最后四位", "最后几位")
ORDER_CUES = ("工单编号", "工单号", "受理号", "单号", "编号", "工单")
PHONE_CUES = ("联系电话", "电话", "手机", "号码", "联系方式", "打", "座机")


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
    return not (i + 1 < len(text) and text[i + 1] in _NOT_DIGIT_AFTER and not text.startswith("分机", i + 1))


def _repeat_at(text: str, i: int) -> str | None:
    """The digits of a counted repeat at ``i`` ("三个八" -> "888"), or None."""
    count = _REPEAT_COUNT.get(text[i])
    if count is None or not text.startswith("个", i + 1) or i + 2 >= len(text) or not _is_digit(text, i + 2):
        return None
    return DIGITS[text[i + 2]] * count


def _pieces(text: str) -> list[DigitRun]:
    """Unbroken stretches of digits (a counted repeat is one stretch of three characters)."""
    pieces: list[DigitRun] = []
    i = 0
    while i < len(text):
        if (repeat := _repeat_at(text, i)) is not None:
            pieces.append(DigitRun(repeat, i, i + 3))
            i += 3
        elif _is_digit(text, i):
            pieces.append(DigitRun(DIGITS[text[i]], i, i + 1))
            i += 1
        elif text[i] in _YAO_HOMOPHONES and pieces and pieces[-1].end == i and i + 1 < len(text) \
                and _is_digit(text, i + 1):
            pieces.append(DigitRun("1", i, i + 1))
            i += 1
        else:
            i += 1
    return pieces


def _joins(gap: str) -> bool:
    return not gap or (len(gap) <= 2 and set(gap) <= _GAP) or (len(gap) <= 6 and bool(_LINK.fullmatch(gap)))


def digit_runs(text: str, max_len: int = 12) -> list[DigitRun]:
    """Runs of spoken or written digits in `text`, groups joined across short filler or linking gaps."""
    merged: list[DigitRun] = []
    for piece in _pieces(text):
        if merged:
            prev = merged[-1]
            adjacent = prev.end == piece.start
            if (adjacent or _joins(text[prev.end:piece.start])) and len(prev.digits) + len(piece.digits) <= max_len:
                merged[-1] = DigitRun(prev.digits + piece.digits, prev.start, piece.end)
                continue
            if adjacent:  # too long to be one number: not a number at all
                merged[-1] = DigitRun(prev.digits + piece.digits, prev.start, piece.end)
                continue
        merged.append(piece)
    return merged


def _takes_back(text: str, before: DigitRun, after: DigitRun, cues: tuple[str, ...]) -> bool:
    """True when ``after`` is said to replace ``before``: a correction between them (and no cue of
    another field, as in "电话… 不对 工单号…"), or "不是 <before> 是 <after>"."""
    gap = text[before.end:after.start]
    if len(gap) > 14 or any(cue in gap for cue in cues):
        return False
    if len(after.digits) < 2:  # a stray "一" after "不对" is no number
        return False
    if CORRECTION.search(gap):
        return True
    return bool(_OTHER_THAN.search(text, max(0, before.start - 3), before.start)) and gap.strip("，, 。") in ("是", "而是")


def _corrected(said: str, again: str) -> str:
    """``said`` with ``again`` put in place of its end: where the caller picked up again is where the
    result is a whole mobile or dated order number ("二零二六一一二三 不对 一一二四零零零七" corrects
    the date), else ``again`` replaces as many digits as it has."""
    for overlap in range(min(len(again), len(said)), 0, -1):
        result = said[:len(said) - overlap] + again
        if MOBILE.fullmatch(result) or (len(result) == 12 and is_date(result)):
            return result
    return said[:max(0, len(said) - len(again))] + again


def spoken_numbers(text: str) -> list[DigitRun]:
    """The numbers a caller gave, self-corrections applied: a run said to replace the one before it
    takes its place (or, with fewer digits, the place of its tail); the span covers both."""
    numbers: list[DigitRun] = []
    for run in digit_runs(text):
        if numbers and _takes_back(text, numbers[-1], run, ORDER_CUES + PHONE_CUES):
            prev = numbers.pop()
            if numbers and len(prev.digits) < len(numbers[-1].digits) and numbers[-1].digits.endswith(prev.digits):
                prev = numbers.pop()  # "…四三两幺 不是 四三两幺 是 四三两两": the tail of the number before
            run = DigitRun(_corrected(prev.digits, run.digits), prev.start, run.end)
        numbers.append(run)
    return numbers


def said_tail(run: DigitRun, text: str) -> bool:
    """The run is the tail of a number ("尾号 八八八", "后四位是…"), not the whole of it."""
    return _cue_before(text, run.start, TAIL_CUES, window=6)


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
