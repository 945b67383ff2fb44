"""The portal's pure parts: signed values, the arithmetic challenge, the form checks."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter.portal import forms
from callcenter.portal.challenge import chinese_number, new_challenge, solved
from callcenter.portal.errors import FieldsInvalid
from callcenter.portal.signing import signed, unsigned
from tests.portal_helpers import PNG, form
from worksheet.model import Rating

KEY = b"k" * 32
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_signed_values_come_back_only_with_the_key_and_purpose() -> None:
    token = signed(KEY, "track", "20261123-0001|1900000000")
    assert unsigned(KEY, "track", token) == "20261123-0001|1900000000"
    assert unsigned(KEY, "done", token) is None
    assert unsigned(b"x" * 32, "track", token) is None
    assert unsigned(KEY, "track", token.replace("0001", "0002")) is None
    for junk in (None, 5, "", "no-separator", "值~abc", "a~" + "f" * 600):
        assert unsigned(KEY, "track", junk) is None


@pytest.mark.parametrize(("n", "text"), [(0, "零"), (7, "七"), (10, "十"), (12, "十二"), (20, "二十"), (45, "四十五")])
def test_chinese_numerals(n: int, text: str) -> None:
    assert chinese_number(n) == text


def _answer(question: str) -> int:
    values = {chinese_number(n): n for n in range(100)}
    a, op, b = re.match(r"(.+?)([加减])(.+?)等于多少？", question).groups()  # type: ignore[union-attr]
    return values[a] + values[b] if op == "加" else values[a] - values[b]


def test_a_challenge_is_solved_by_its_answer_only_and_expires() -> None:
    rng = random.Random(7)
    for _ in range(50):
        challenge = new_challenge(KEY, NOW, rng=rng)  # type: ignore[arg-type]
        answer = _answer(challenge.question)
        assert answer >= 0
        nonce = solved(KEY, challenge.token, str(answer), NOW)
        assert nonce is not None and nonce == challenge.token.split(".")[0]
        assert solved(KEY, challenge.token, f" {answer} ".translate(str.maketrans("0123456789", "０１２３４５６７８９")),
                      NOW) == nonce  # full-width digits from a Chinese IME
        assert solved(KEY, challenge.token, str(answer + 1), NOW) is None
        assert solved(b"x" * 32, challenge.token, str(answer), NOW) is None
        assert solved(KEY, challenge.token, str(answer), NOW + timedelta(minutes=11)) is None
    for junk in (None, "", "a.b.c", "x" * 300):
        assert solved(KEY, junk, "3", NOW) is None


def test_the_submit_form_names_each_wrong_field() -> None:
    with pytest.raises(FieldsInvalid) as info:
        forms.submission({"enterprise_name": "某", "credit_code": "", "contact_person": " ", "phone": "02088886666",
                          "category": "", "content": "太短了", "subject": "题" * 61})
    assert set(info.value.errors) == {"enterprise_name", "credit_code", "contact_person", "phone", "category",
                                      "content", "subject"}
    assert info.value.errors["phone"] == "请填写正确的11位手机号码。"
    ok = forms.submission(form(phone="+86 139-1234-5678", credit_code="915107039755th2h1d"))
    assert ok.phone == "13912345678" and ok.credit_code == "915107039755TH2H1D"


def test_files_are_judged_by_their_bytes_and_size() -> None:
    [upload] = forms.uploads([("照片.png", PNG)])
    assert upload.media.content_type == "image/png"
    assert forms.display_name(forms.Upload("..%2F..%2F照片.png", PNG, upload.media)) == "照片.png"
    for files, message in (([("a.png", b"MZ\x90\x00 not an image")], "不支持"),
                           ([("a.png", PNG)] * (forms.MAX_FILES + 1), "最多"),
                           ([("big.png", PNG + b"\x00" * forms.MAX_FILE_BYTES)], "超过")):
        with pytest.raises(FieldsInvalid) as info:
            forms.uploads(files)
        assert message in info.value.errors["files"]


def test_tracking_and_rating_fields() -> None:
    assert forms.tracking({"number": " 20261123-0001 ", "phone": "13912345678"}) == ("20261123-0001", "13912345678")
    with pytest.raises(FieldsInvalid) as info:
        forms.tracking({"number": "<script>", "phone": ""})
    assert set(info.value.errors) == {"number", "phone"}
    assert forms.rating({"rating": "unsatisfied", "comment": " 没解决 "}) == (Rating.UNSATISFIED, "没解决")
    with pytest.raises(FieldsInvalid):
        forms.rating({"rating": "5"})
