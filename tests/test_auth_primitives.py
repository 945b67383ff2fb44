from __future__ import annotations

import hashlib

from callcenter.auth.passwords import hash_password, needs_rehash, verify_password
from callcenter.auth.tokens import digest, new_token


def test_password_round_trip() -> None:
    stored = hash_password("correct-horse-battery")
    assert stored.startswith("$argon2id$") and "correct-horse" not in stored
    assert verify_password(stored, "correct-horse-battery")
    assert not verify_password(stored, "correct-horse-batterx")
    assert not needs_rehash(stored)


def test_hashes_are_salted() -> None:
    assert hash_password("same-password-here") != hash_password("same-password-here")


def test_malformed_hash_is_not_an_error() -> None:
    assert verify_password("not-a-hash", "anything") is False
    assert needs_rehash("not-a-hash")


def test_weaker_parameters_need_rehash() -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("correct-horse-battery")
    assert verify_password(weak, "correct-horse-battery")
    assert needs_rehash(weak)


def test_tokens_are_random_and_stored_as_digests() -> None:
    token, stored = new_token()
    other, _ = new_token()
    assert token != other and len(token) >= 40
    assert stored == digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(stored) == 64 and token not in stored
