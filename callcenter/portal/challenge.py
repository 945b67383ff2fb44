"""The self-hosted challenge shown after repeated failures: a small sum in Chinese numerals.

Nothing is kept on the server until it is answered: the token carries a nonce, the expiry and a
signature over them and the answer, so any node can check it; a used nonce is recorded (see
PortalStore) so one solved challenge cannot be replayed. Pure: time and randomness come in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from .signing import sign

LIFETIME = timedelta(minutes=10)
_NUMERALS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class Challenge:
    question: str
    token: str


def chinese_number(n: int) -> str:
    """0–99 in Chinese numerals (十二, 二十, 四十五)."""
    if not 0 <= n <= 99:
        raise ValueError(n)
    if n <= 10:
        return _NUMERALS[n]
    tens, ones = divmod(n, 10)
    return f"{_NUMERALS[tens] if tens > 1 else ''}十{_NUMERALS[ones] if ones else ''}"


def new_challenge(key: bytes, now: datetime, *, rng: secrets.SystemRandom | None = None) -> Challenge:
    rng = rng or secrets.SystemRandom()
    a, b = rng.randint(2, 19), rng.randint(2, 9)
    plus = rng.random() < 0.5 or a <= b
    answer = a + b if plus else a - b
    question = f"{chinese_number(a)}{'加' if plus else '减'}{chinese_number(b)}等于多少？"
    nonce = secrets.token_urlsafe(12)
    expires = int((now + LIFETIME).timestamp())
    return Challenge(question, f"{nonce}.{expires}.{sign(key, 'challenge', f'{nonce}|{expires}|{answer}')}")


def solved(key: bytes, token: object, answer: object, now: datetime) -> str | None:
    """The challenge's nonce when ``answer`` is right and the token is ours and unexpired, else None."""
    if not isinstance(token, str) or not isinstance(answer, str) or len(token) > 200:
        return None
    parts = token.split(".")
    value = answer.strip().translate(_FULL_WIDTH)
    if len(parts) != 3 or not parts[1].isdigit() or not value.isdigit() or len(value) > 3:
        return None
    nonce, expires, mac = parts
    if int(expires) < now.timestamp() or not mac.isascii():
        return None
    expected = sign(key, "challenge", f"{nonce}|{expires}|{int(value)}")
    return nonce if secrets.compare_digest(mac, expected) else None


_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")  # a Chinese IME's digits
