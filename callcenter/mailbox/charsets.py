"""Decoding the charsets Chinese mail really uses (pure).

Mail labelled GB2312 is routinely GBK or GB18030 (Outlook, Foxmail and webmail write 𠮷-era
characters under the old label); GB18030 is a superset of both, so every GB label decodes with it.
An unknown or missing label falls back to UTF-8, then GB18030, then Latin-1 with replacement:
a mail is never refused for its charset.
"""

from __future__ import annotations

import codecs

_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312", "csgb2312", "x-euc-cn", "gb_2312-80"}


def decode_bytes(data: bytes, label: str | None) -> str:
    name = (label or "").strip().strip('"').lower()
    if name in _GB or name.startswith("gb"):
        name = "gb18030"
    tried = []
    if name:
        try:
            codecs.lookup(name)
            tried.append(name)
        except LookupError:
            pass
    for candidate in (*tried, "utf-8", "gb18030"):
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(tried[0] if tried else "utf-8", errors="replace")
