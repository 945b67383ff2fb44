"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-symbol alphabet (digits and capitals without I, O, Z, S, V);
the last one is a check character over the first 17 with weights 3^i mod 31.
"""

from __future__ import annotations

from .errors import InvalidCreditCode

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(code: str) -> str:
    """Return the code upper-cased and validated, or raise InvalidCreditCode."""
    value = code.strip().upper()
    if len(value) != 18:
        raise InvalidCreditCode(f"credit code must have 18 characters, got {len(value)}")
    bad = sorted({ch for ch in value if ch not in _VALUE})
    if bad:
        raise InvalidCreditCode(f"credit code contains characters not allowed by GB 32100-2015: {''.join(bad)}")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise InvalidCreditCode(f"credit code check character is '{value[17]}', expected '{expected}'")
    return value
