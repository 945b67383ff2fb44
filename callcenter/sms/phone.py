"""Phone numbers as the SMS side needs them: E.164 for providers, one comparable key for matching.

Orders hold what a caller or agent typed ("13800138000", "138-0013-8000", "+86 138 0013 8000");
Twilio reports senders in E.164 ("+8613800138000"). Both reduce to the same `phone_key`.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().]")
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _compact(number: str) -> str:
    compact = _SEPARATORS.sub("", number or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact


def phone_key(number: str) -> str:
    """Digits without the +86/0086/86 prefix: equal for every way of writing one mainland number."""
    compact = _compact(number)
    if compact.startswith("+") and not compact.startswith("+86"):
        return compact  # another country: "+1 555…" must not pass for a mainland "155…"
    for prefix in ("+86", "86"):
        rest = compact[len(prefix):]
        if compact.startswith(prefix) and _MAINLAND_MOBILE.match(rest):
            return rest
    return compact.removeprefix("+86")


def mobile_e164(number: str | None) -> str | None:
    """The number in E.164 if an SMS can go to it, else None.

    Mainland numbers must be mobiles (1[3-9] and 11 digits): a landline such as 02088886666 (a
    fax machine's line, say) cannot receive SMS. Other countries' E.164 numbers are passed on as
    they are; the provider tells us if one cannot take SMS.
    """
    if not number:
        return None
    compact = _compact(number)
    if compact.startswith("+") and not compact.startswith("+86"):
        return compact if _E164.match(compact) else None
    key = phone_key(compact)
    return "+86" + key if _MAINLAND_MOBILE.match(key) else None  # else a landline, or not a number
