"""WeCom's callback crypto and XML reading, pure: the spec's published examples, round trips, and
every way a hostile message is refused (with its error id)."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from callcenter.wecom.crypto import WeComCrypto, WeComCryptoError, aes_key, pad, unpad
from callcenter.wecom.xml import UnsafeXml, parse_flat

# The example in WeCom's official WXBizMsgCrypt samples (Tencent, "使用示例二：对用户回复的消息解密"
# and the URL check "使用示例一"), as reproduced in e.g. the EasyWeChat and Tencent sample test suites.
OFFICIAL = WeComCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
OFFICIAL_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvu"
    "JTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+Ltw"
    "Gc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8"
    "V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1pt"
    "DAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")
OFFICIAL_ECHOSTR = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
MINE = WeComCrypto("token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "ww0123456789abcdef")


def test_the_official_message_example_verifies_and_decrypts() -> None:
    plain = OFFICIAL.open("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", OFFICIAL_ENCRYPT)
    assert parse_flat(plain) == {
        "ToUserName": "wx5823bf96d3bd56c7", "FromUserName": "mycreate", "CreateTime": "1409659813",
        "MsgType": "text", "Content": "hello", "MsgId": "4561255354251345929", "AgentID": "218"}


def test_the_official_url_verification_example_echoes() -> None:
    echo = OFFICIAL.open("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", OFFICIAL_ECHOSTR)
    assert echo == b"1616140317555161061"


def test_a_round_trip_with_fixed_randomness_is_deterministic() -> None:
    message = "<xml><Content><![CDATA[园区停电，请协调]]></Content></xml>".encode()
    a = MINE.encrypt(message, random16=b"r" * 16)
    assert a == MINE.encrypt(message, random16=b"r" * 16) != MINE.encrypt(message, random16=b"s" * 16)
    assert len(base64.b64decode(a)) % 32 == 0  # WeCom pads to 32-byte blocks
    assert MINE.open(MINE.sign("1", "n", a), "1", "n", a) == message


@pytest.mark.parametrize("length", [0, 1, 31, 32, 33, 64])
def test_padding_is_pkcs7_to_32_bytes(length: int) -> None:
    padded = pad(b"x" * length)
    assert len(padded) % 32 == 0 and 1 <= len(padded) - length <= 32 and unpad(padded) == b"x" * length


def _raw_encrypt(plain: bytes, key: str = MINE.encoding_aes_key) -> str:
    k = aes_key(key)
    enc = Cipher(algorithms.AES(k), modes.CBC(k[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


@pytest.mark.parametrize(("encrypt", "error_id"), [
    ("not base64!!", "wecom-bad-encoding"),
    (base64.b64encode(b"short").decode(), "wecom-bad-encoding"),
    ("", "wecom-bad-encoding"),
    (_raw_encrypt(bytes(32)), "wecom-bad-padding"),  # last byte 0
    (_raw_encrypt(b"a" * 31 + b"\x05"), "wecom-bad-padding"),  # claims 5 bytes of padding that are not
    (_raw_encrypt(pad(b"r" * 16 + struct.pack(">I", 9999) + b"hi")), "wecom-bad-length"),
    (_raw_encrypt(pad(b"r" * 8)), "wecom-bad-length"),
    # Fixed randomness: parameters must be the same in every pytest-xdist worker that collects them.
    (WeComCrypto("token", MINE.encoding_aes_key, "ww-another-corp").encrypt(b"<xml/>", random16=b"q" * 16),
     "wecom-wrong-receiver"),
])
def test_hostile_ciphertexts_are_refused_with_their_error_id(encrypt: str, error_id: str) -> None:
    with pytest.raises(WeComCryptoError) as info:
        MINE.decrypt(encrypt)
    assert info.value.error_id == error_id


def test_a_wrong_signature_is_refused_before_decrypting() -> None:
    encrypt = MINE.encrypt(b"<xml/>")
    for bad in (MINE.sign("2", "n", encrypt), "0" * 40, "签名", ""):
        with pytest.raises(WeComCryptoError) as info:
            MINE.open(bad, "1", "n", encrypt)
        assert info.value.error_id == "wecom-bad-signature"


def test_a_bad_encoding_aes_key_is_a_configuration_error() -> None:
    for key in ("short", "!" * 43):
        with pytest.raises(ValueError):
            aes_key(key)


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><xml><Content>&lol3;</Content></xml>')


@pytest.mark.parametrize("data", [
    BOMB,
    b'<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd"><xml><A>1</A></xml>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><A>&e;</A></xml>',
    b"<xml><A>&undefined;</A></xml>",
    b"<xml><A>unclosed</xml>",
    b"<xml>" + b"<a>" * 10 + b"x" + b"</a>" * 10 + b"</xml>",
    b"<xml><A>" + b"x" * (70 << 10) + b"</A></xml>",
    b"",
])
def test_unsafe_or_broken_xml_is_refused(data: bytes) -> None:
    with pytest.raises(UnsafeXml):
        parse_flat(data)


def test_flat_xml_keeps_the_roots_children_with_cdata_and_plain_text() -> None:
    data = "<xml><A><![CDATA[甲 &lt; ]]></A><B> 2 </B><C><Item>x</Item></C></xml>".encode()
    assert parse_flat(data) == {"A": "甲 &lt;", "B": "2", "C": "x"}
