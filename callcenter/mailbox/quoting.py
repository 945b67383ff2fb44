"""Cutting the quoted history off a reply (pure).

A reply quotes the mail it answers below a marker: "-----原始邮件-----" (Outlook, Chinese),
"------------------ 原始邮件 ------------------" (QQ/Foxmail), "On … wrote:" / "在 … 写道：" (Gmail,
Apple), "-----Original Message-----", "发件人：… 发送时间：…" header blocks, or ">" lines. What the
enterprise wrote is above it. A forwarded mail is kept whole: there the "history" is the matter.
"""

from __future__ import annotations

import re

_MARKERS = re.compile(
    r"^\s*(?:-{2,}\s*(?:原始邮件|Original Message|回复的原邮件)\s*-{2,}"
    r"|-{5,}\s*$"
    r"|(?:On|在).{0,200}(?:wrote|写道)[:：]\s*$"
    r"|(?:发件人|From)\s*[:：].{0,200}$)",
    re.IGNORECASE,
)
_FORWARD = re.compile(r"^\s*-{2,}\s*(?:转发邮件|Forwarded message|转发的邮件)", re.IGNORECASE | re.MULTILINE)


def is_forward(subject: str, text: str) -> bool:
    return bool(re.match(r"^\s*(?:fw|fwd|转发)\s*[:：]", subject, re.IGNORECASE)) or bool(_FORWARD.search(text))


def strip_quoted(text: str) -> str:
    """The new part of a reply; the whole text when nothing new precedes the quote."""
    kept: list[str] = []
    for line in text.splitlines():
        if _MARKERS.match(line) and any(k.strip() for k in kept):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    new = "\n".join(kept).strip()
    return new or text.strip()
