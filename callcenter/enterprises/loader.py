"""The enterprise directory CSV (企业名录): UTF-8 (a BOM is fine), header
`name,unified_social_credit_code,contact_person,mobile,address,district`.

Bad rows are reported with their line number and reason and skipped; the good ones load.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from worksheet.credit_code import normalize_credit_code
from worksheet.errors import InvalidCreditCode
from worksheet.extract import DirectoryEntry, EnterpriseDirectory

COLUMNS = ("name", "unified_social_credit_code", "contact_person", "mobile", "address", "district")
MOBILE = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason}


class DirectoryFileError(ValueError):
    """The file as a whole is unusable (unreadable, wrong header)."""


def normalize_mobile(value: str) -> str:
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not MOBILE.fullmatch(digits):
        raise ValueError(f"bad mobile {value!r}: expected 11 digits starting 13-19")
    return digits


def parse_directory_csv(text: str) -> tuple[list[DirectoryEntry], list[RowError]]:
    """Entries and per-line errors from the CSV text."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise DirectoryFileError("empty file: expected the header " + ",".join(COLUMNS))
    header = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DirectoryFileError(f"header lacks {', '.join(missing)}; expected " + ",".join(COLUMNS))
    where = {c: header.index(c) for c in COLUMNS}
    entries: list[DirectoryEntry] = []
    errors: list[RowError] = []
    names: dict[str, int] = {}
    codes: dict[str, int] = {}
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num  # a quoted field may span lines
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(RowError(start, f"expected {len(header)} columns, got {len(row)}"))
            continue
        cells = {c: row[i].strip() for c, i in where.items()}
        name = cells["name"]
        try:
            if not name:
                raise ValueError("missing name")
            if name in names:
                raise ValueError(f"duplicate name, first on line {names[name]}")
            code = normalize_credit_code(cells["unified_social_credit_code"]) if cells["unified_social_credit_code"] else None
            if code and code in codes:
                raise ValueError(f"duplicate credit code {code}, first on line {codes[code]}")
            mobile = normalize_mobile(cells["mobile"]) if cells["mobile"] else None
        except InvalidCreditCode as exc:
            errors.append(RowError(start, f"invalid credit code: {exc.detail}"))
            continue
        except ValueError as exc:
            errors.append(RowError(start, str(exc)))
            continue
        names[name] = start
        if code:
            codes[code] = start
        entries.append(DirectoryEntry(
            name=name, credit_code=code, contact_person=cells["contact_person"] or None, mobile=mobile,
            address=cells["address"] or None, district=cells["district"] or None,
        ))
    return entries, errors


def read_directory_csv(path: str | Path) -> tuple[list[DirectoryEntry], list[RowError]]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DirectoryFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DirectoryFileError(f"{path} is not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    return parse_directory_csv(text)


def directory_from_csv(path: str | Path) -> EnterpriseDirectory:
    """The directory of a CSV's good rows (bad rows are skipped silently; `load` reports them)."""
    return EnterpriseDirectory(read_directory_csv(path)[0])
