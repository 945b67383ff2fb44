"""Dynamic read-back text as a sequence of pre-rendered word prompts.

Asterisk cannot speak arbitrary Chinese text, so :func:`ivr.prompts.build_prompts` renders every
word of :data:`SAY_WORDS` to ``zhitong/<prompt-id>.wav`` once, and a dynamic text is spoken by
playing those word prompts in order. Arabic digit runs of one or two digits are read as numbers
(``30`` -> 三十), longer runs digit by digit (order numbers, years). Characters outside the
vocabulary (punctuation, spaces, unknown words) are skipped, so status texts should be taken from
:data:`STATUS_WORDS` and due texts written like ``2026年11月30日18时``.
"""

from __future__ import annotations

import re

DIGIT_CHARS = "零一二三四五六七八九"
STATUS_WORDS: dict[str, str] = {
    "草稿": "say-st-draft",
    "已登记": "say-st-registered",
    "已派单": "say-st-dispatched",
    "已回退": "say-st-returned",
    "办理中": "say-st-handling",
    "延期申请中": "say-st-extension",
    "已答复": "say-st-replied",
    "待回访": "say-st-callback",
    "审核中": "say-st-review",
    "已办结": "say-st-closed",
    "已合并": "say-st-merged",
}
# Chinese text -> prompt id; longest match wins when tokenizing.
SAY_WORDS: dict[str, str] = {
    **{ch: f"say-{i}" for i, ch in enumerate(DIGIT_CHARS)},
    "十": "say-10",
    "年": "say-year",
    "月": "say-month",
    "日": "say-day",
    "时": "say-hour",
    "分": "say-minute",
    "工单": "say-order",
    "当前状态": "say-status",
    "办理期限": "say-due",
    **STATUS_WORDS,
}
_LONGEST = max(len(w) for w in SAY_WORDS)


def number_words(run: str) -> str:
    """``"7"`` -> 七, ``"30"`` -> 三十, ``"11"`` -> 十一, ``"0007"`` -> 零零零七."""
    if len(run) > 2:
        return "".join(DIGIT_CHARS[int(d)] for d in run)
    value = int(run)
    if value < 10:
        return DIGIT_CHARS[value]
    tens, ones = divmod(value, 10)
    return ("" if tens == 1 else DIGIT_CHARS[tens]) + "十" + (DIGIT_CHARS[ones] if ones else "")


def tokenize(text: str) -> tuple[str, ...]:
    """Prompt ids that speak ``text`` (unknown characters are skipped)."""
    spoken = re.sub(r"\d+", lambda m: number_words(m.group()), text)
    ids: list[str] = []
    i = 0
    while i < len(spoken):
        for size in range(min(_LONGEST, len(spoken) - i), 0, -1):
            pid = SAY_WORDS.get(spoken[i : i + size])
            if pid:
                ids.append(pid)
                i += size
                break
        else:
            i += 1
    return tuple(ids)


def say_prompts() -> dict[str, str]:
    """Prompt id -> text for every say word (what the prompt builder renders)."""
    return {pid: text for text, pid in SAY_WORDS.items()}
