"""Caller IDs as numbers (pure): what a PBX, a SIP trunk, a fax machine or an SMS gateway reports as
"the caller", reduced to a number an order can store and an agent can call back, or None.

Where there is no number, telephony puts a word: Asterisk's FastAGI sends ``unknown``
(agi_callerid without caller ID) and AMI ``<unknown>``; a withheld SIP caller arrives as
``anonymous`` (``From: "Anonymous" <sip:anonymous@anonymous.invalid>``); carriers send
``Restricted``, ``Private`` or ``Unavailable``; SMS gateways pass alphanumeric sender names.
None of them is a number. Storing one in an order fails its phone validation, and with it the
voice message or fax that came with the call, so every place a caller ID enters goes through
:func:`caller_number` first.

The international prefix is kept where dropping it would change the number: ``+1 555 123 0001``
must not become ``15551230001``, which reads as a mainland mobile. Only ``+86``/``0086`` (and a
bare ``86``) before a mainland mobile is dropped, as mainland mobiles are stored in their 11 digits.
"""

from __future__ import annotations

import re

MIN_DIGITS = 3  # shorter is a service code or noise, not a number to call back
MAX_DIGITS = 20  # E.164 has at most 15; room for a PBX's outside-line prefix
MAX_RAW = 128  # longer is not a caller ID
MAX_NAME = 100

_ANGLE = re.compile(r"<([^<>]*)>\s*$")  # 'Name <sip:1001@pbx>' or '"Name" <1001>'
_SCHEME = re.compile(r"^(?P<scheme>tel|sips?):", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-.()\[\]/]")  # how people and trunks group digits
_NUMBER = re.compile(r"\+?[0-9]+")
_MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Display names that say "no caller ID" rather than name anybody (compared case-insensitively).
NO_CALLER_ID = frozenset({"", "unknown", "<unknown>", "anonymous", "restricted", "private", "unavailable",
                          "withheld", "blocked", "no caller id", "unknown caller", "out of area"})


def caller_number(raw: str | None) -> str | None:
    """The number in a caller ID, or None when it holds none.

    ``13800138000``, ``+86 138-0013-8000``, ``0086…``, ``8613800138000`` and
    ``sip:+8613800138000@carrier;user=phone`` give ``13800138000``; ``(010) 1234-5678`` gives
    ``01012345678``; ``+15551230001`` and ``001 555 123 0001`` give ``+15551230001``; a SIP user
    ``sip:1001@pbx`` gives ``1001``. Anything with a letter or another symbol in it
    (``anonymous``, ``<unknown>``, ``Restricted``, ``*31#``), or with too few or too many digits,
    gives None.
    """
    if not raw:
        return None
    value = raw.strip()
    if len(value) > MAX_RAW or _CONTROL.search(value):
        return None
    if angle := _ANGLE.search(value):
        value = angle.group(1).strip()
    if scheme := _SCHEME.match(value):
        value = value[scheme.end():]
        if scheme.group("scheme").lower() != "tel":
            value = value.partition("@")[0]  # the user part of a SIP URI
    value = value.partition(";")[0]  # URI parameters: ;user=phone, ;phone-context=…, ;isub=…
    compact = _SEPARATORS.sub("", value)
    if not _NUMBER.fullmatch(compact):
        return None
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        return _international(compact[1:])
    if len(compact) == 13 and compact.startswith("86") and _MAINLAND_MOBILE.fullmatch(compact[2:]):
        return compact[2:]  # carriers often send a mainland mobile with its country code, no "+"
    return compact if MIN_DIGITS <= len(compact) <= MAX_DIGITS else None


def _international(digits: str) -> str | None:
    if not MIN_DIGITS <= len(digits) <= 15 or digits.startswith("0"):  # no country code starts with 0
        return None
    if digits.startswith("86") and _MAINLAND_MOBILE.fullmatch(digits[2:]):
        return digits[2:]
    return "+" + digits


def caller_name(raw: str | None, limit: int = MAX_NAME) -> str:
    """The caller-ID name (CNAM) fit to show, or "" when it names nobody.

    Control characters become spaces; the words for "no caller ID" and a name that is only the
    number (trunks often copy it into the name) give "". A CNAM is what the carrier says, not who
    is calling: it is shown as such and never taken for an enterprise's name.
    """
    value = _CONTROL.sub(" ", raw or "").strip()
    if value.casefold() in NO_CALLER_ID or caller_number(value) is not None:
        return ""
    return value[:limit].strip()
