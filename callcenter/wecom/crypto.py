"""WeCom's callback crypto (the EncodingAESKey scheme), pure: bytes and strings in and out, no I/O.

- msg_signature = sha1 of the sorted concatenation of (token, timestamp, nonce, encrypt);
- AES-256-CBC, key = base64(EncodingAESKey + "="), IV = the key's first 16 bytes, PKCS#7 padding
  to 32-byte blocks (not AES's 16: WeCom's own choice, and what its samples do);
- plaintext = 16 random bytes + 4-byte big-endian length + message + receive id (the CorpID).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class WeComCryptoError(Exception):
    """A callback that is not WeCom's, or not for us. ``error_id`` says which check failed."""

    error_id = "wecom-bad-message"

    def __init__(self, error_id: str, detail: str) -> None:
        super().__init__(detail)
        self.error_id = error_id
        self.detail = detail


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypt))).encode()).hexdigest()


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key from the 43-character EncodingAESKey set in WeCom's admin console."""
    if len(encoding_aes_key) != 43:
        raise ValueError("the EncodingAESKey has 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error:
        raise ValueError("the EncodingAESKey is not base64") from None
    return key


def pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def unpad(data: bytes) -> bytes:
    n = data[-1] if data else 0
    if not 1 <= n <= BLOCK or data[-n:] != bytes([n]) * n:
        raise WeComCryptoError("wecom-bad-padding", "the decrypted message has no valid padding")
    return data[:-n]


@dataclass(frozen=True)
class WeComCrypto:
    token: str = field(repr=False)
    encoding_aes_key: str = field(repr=False)
    receive_id: str  # the CorpID: a message for another corporation is refused

    @property
    def _cipher(self) -> Cipher[modes.CBC]:
        key = aes_key(self.encoding_aes_key)
        return Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return signature(self.token, timestamp, nonce, encrypt)

    def check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        if not hmac.compare_digest(self.sign(timestamp, nonce, encrypt).encode(), msg_signature.lower().encode()):
            raise WeComCryptoError("wecom-bad-signature", "msg_signature does not match")

    def encrypt(self, message: bytes, *, random16: bytes | None = None) -> str:
        random16 = os.urandom(16) if random16 is None else random16
        plain = random16 + struct.pack(">I", len(message)) + message + self.receive_id.encode()
        enc = self._cipher.encryptor()
        return base64.b64encode(enc.update(pad(plain)) + enc.finalize()).decode()

    def decrypt(self, encrypt: str) -> bytes:
        """The message inside ``encrypt``; refuses bad base64, padding, lengths and other CorpIDs."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise WeComCryptoError("wecom-bad-encoding", "Encrypt is not base64") from None
        if not data or len(data) % 16:
            raise WeComCryptoError("wecom-bad-encoding", "Encrypt is not whole AES blocks")
        dec = self._cipher.decryptor()
        plain = unpad(dec.update(data) + dec.finalize())
        if len(plain) < 20:
            raise WeComCryptoError("wecom-bad-length", "the decrypted message is too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise WeComCryptoError("wecom-bad-length", "the message length is past its end")
        if not hmac.compare_digest(plain[20 + length:], self.receive_id.encode()):
            raise WeComCryptoError("wecom-wrong-receiver", "the message is for another CorpID")
        return plain[20:20 + length]

    def open(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> bytes:
        """Signature first (cheap, and nothing is decrypted for a stranger), then the message."""
        self.check_signature(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)
