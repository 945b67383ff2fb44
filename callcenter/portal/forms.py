"""The portal's forms checked field by field, each problem in Chinese for the page to show next to
its field. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from callcenter.blobs.service import display_name as safe_name
from callcenter.blobs.sniff import MediaType, sniff
from callcenter.sms.phone import phone_key
from worksheet.credit_code import normalize_credit_code
from worksheet.errors import InvalidCreditCode
from worksheet.model import Category, Rating

from .errors import FieldsInvalid

CATEGORIES = {Category.CONSULTATION: "咨询", Category.HELP: "求助", Category.COMPLAINT: "投诉",
              Category.SUGGESTION: "意见建议", Category.REPORT: "举报反映"}
RATINGS = {Rating.SATISFIED: "满意", Rating.BASICALLY_SATISFIED: "基本满意", Rating.UNSATISFIED: "不满意"}
MAX_FILES = 5
MAX_FILE_BYTES = 10 << 20
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ORDER_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{5,39}$")


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    media: MediaType


@dataclass(frozen=True)
class Submission:
    enterprise_name: str
    credit_code: str
    contact_person: str
    phone: str  # phone_key: 11 digits
    category: Category
    subject: str
    content: str


def mobile(value: str) -> str | None:
    key = phone_key(value.strip())
    return key if _MOBILE.match(key) else None


def order_number(value: str) -> str | None:
    number = value.strip().upper()
    return number if _ORDER_NUMBER.match(number) else None


def _length(errors: dict[str, str], fields: Mapping[str, str], name: str, label: str, low: int, high: int) -> str:
    value = " ".join(fields.get(name, "").split()) if name != "content" else fields.get(name, "").strip()
    if len(value) < low:
        errors[name] = f"请填写{label}。" if not value else f"{label}至少 {low} 个字。"
    elif len(value) > high:
        errors[name] = f"{label}不能超过 {high} 个字（现有 {len(value)} 个）。"
    return value


def submission(fields: Mapping[str, str]) -> Submission:
    """The submit form's text fields, or FieldsInvalid naming every wrong one."""
    errors: dict[str, str] = {}
    name = _length(errors, fields, "enterprise_name", "企业名称", 2, 100)
    person = _length(errors, fields, "contact_person", "联系人", 1, 30)
    subject = _length(errors, fields, "subject", "标题", 0, 60)
    content = _length(errors, fields, "content", "反映内容", 10, 5000)
    code = ""
    try:
        code = normalize_credit_code(fields.get("credit_code", ""))
    except InvalidCreditCode:
        errors["credit_code"] = ("请填写统一社会信用代码。" if not fields.get("credit_code", "").strip()
                                 else "统一社会信用代码不正确，请核对营业执照上的18位代码。")
    phone = phone_field(errors, fields)
    try:
        category = Category(fields.get("category", ""))
    except ValueError:
        errors["category"] = "请选择诉求类别。"
        category = Category.HELP
    if errors:
        raise FieldsInvalid(errors)
    return Submission(name, code, person, phone, category, subject, content)


def phone_field(errors: dict[str, str], fields: Mapping[str, str]) -> str:
    raw = fields.get("phone", "")
    phone = mobile(raw)
    if phone is None:
        errors["phone"] = "请填写手机号码。" if not raw.strip() else "请填写正确的11位手机号码。"
    return phone or ""


def uploads(files: list[tuple[str, bytes]]) -> list[Upload]:
    """Chosen files, each a kind the hotline takes (by its bytes, not its name) and not too large."""
    if len(files) > MAX_FILES:
        raise FieldsInvalid({"files": f"最多上传 {MAX_FILES} 个附件。"})
    found = []
    for filename, data in files:
        if len(data) > MAX_FILE_BYTES:
            raise FieldsInvalid({"files": f"附件“{filename[:40]}”超过 {MAX_FILE_BYTES >> 20} MB。"})
        media = sniff(data, filename)
        if media is None:
            raise FieldsInvalid({"files": f"不支持附件“{filename[:40]}”的类型，请上传图片、PDF、Word/Excel 或 OFD 文件。"})
        found.append(Upload(filename, data, media))
    return found


def tracking(fields: Mapping[str, str]) -> tuple[str, str]:
    """(order number, phone_key) of the tracking form, or FieldsInvalid."""
    errors: dict[str, str] = {}
    number = order_number(fields.get("number", ""))
    if number is None:
        errors["number"] = "请填写正确的工单编号。" if fields.get("number", "").strip() else "请填写工单编号。"
    phone = phone_field(errors, fields)
    if errors:
        raise FieldsInvalid(errors)
    return number or "", phone


def rating(fields: Mapping[str, str]) -> tuple[Rating, str]:
    errors: dict[str, str] = {}
    try:
        value = Rating(fields.get("rating", ""))
    except ValueError:
        errors["rating"] = "请选择满意、基本满意或不满意。"
        value = Rating.SATISFIED
    comment = _length(errors, fields, "comment", "评价意见", 0, 500)
    if errors:
        raise FieldsInvalid(errors)
    return value, comment


def supplement(fields: Mapping[str, str]) -> str:
    errors: dict[str, str] = {}
    text = _length(errors, fields, "text", "补充内容", 2, 2000)
    if errors:
        raise FieldsInvalid(errors)
    return text


def display_name(upload: Upload) -> str:
    # Some clients percent-encode the name (RFC 7578 allows it): decoded first, so "%2F" is no way
    # around the folder stripping.
    return safe_name(unquote(upload.filename), upload.media)  # no folders, no control characters
