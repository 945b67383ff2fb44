"""The enterprise directory CSV: BOM, per-line errors, the demo file."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.enterprises.loader import DirectoryFileError, parse_directory_csv, read_directory_csv
from callcenter.enterprises.service import DEMO_DIRECTORY
from worksheet.credit_code import normalize_credit_code

HEADER = "name,unified_social_credit_code,contact_person,mobile,address,district\n"
GOOD = "绵阳华翔物流有限公司,915107039755TH2H1D,吴杰,19620116410,绵阳市涪城区吴家镇168号,涪城区\n"


def test_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "dir.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + GOOD).encode("utf-8"))
    entries, errors = read_directory_csv(path)
    assert errors == [] and [e.name for e in entries] == ["绵阳华翔物流有限公司"]
    assert entries[0].credit_code == "915107039755TH2H1D" and entries[0].mobile == "19620116410"


def test_bad_rows_are_reported_with_line_numbers_and_skipped() -> None:
    text = HEADER + GOOD + (
        ",915107039755TH2H1D,张三,13800138000,地址,涪城区\n"  # line 3: no name
        "绵阳错码有限公司,915107039755TH2H1E,李四,13800138000,地址,涪城区\n"  # line 4: bad check char
        "绵阳短码有限公司,91510703,王五,13800138000,地址,涪城区\n"  # line 5: too short
        "绵阳坏号有限公司,,赵六,1380013800,地址,涪城区\n"  # line 6: 10-digit mobile
        "\n"  # line 7: blank, ignored
        "绵阳少列有限公司,,赵六\n"  # line 8: columns
        "绵阳华翔物流有限公司,,吴杰,,,\n"  # line 9: duplicate name
        "\"绵阳多行\n有限公司\",,,+86 138-0013-8000,,\n"  # lines 10-11: quoted newline, fine
        "绵阳无码有限公司,,,,,\n"  # line 12: only a name, fine
    )
    entries, errors = parse_directory_csv(text)
    assert [e.name for e in entries] == ["绵阳华翔物流有限公司", "绵阳多行\n有限公司", "绵阳无码有限公司"]
    assert entries[1].mobile == "13800138000" and entries[2].credit_code is None and entries[2].mobile is None
    assert [(e.line, e.reason.split(":")[0].split(",")[0]) for e in errors] == [
        (3, "missing name"), (4, "invalid credit code"), (5, "invalid credit code"), (6, "bad mobile '1380013800'"),
        (8, "expected 6 columns"), (9, "duplicate name"),
    ]
    assert "expected 'Q'" in errors[1].reason or "check character" in errors[1].reason


def test_duplicate_credit_code_is_an_error() -> None:
    entries, errors = parse_directory_csv(HEADER + GOOD + GOOD.replace("华翔物流", "别名"))
    assert len(entries) == 1 and errors[0].line == 3 and "duplicate credit code" in errors[0].reason


def test_wrong_header_is_a_file_error() -> None:
    with pytest.raises(DirectoryFileError, match="unified_social_credit_code"):
        parse_directory_csv("name,code\n华翔,1\n")
    with pytest.raises(DirectoryFileError):
        parse_directory_csv("")


def test_non_utf8_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + GOOD).encode("gbk"))
    with pytest.raises(DirectoryFileError, match="UTF-8"):
        read_directory_csv(path)
    with pytest.raises(DirectoryFileError, match="cannot read"):
        read_directory_csv(tmp_path / "missing.csv")


def test_demo_directory_is_clean_and_valid() -> None:
    entries, errors = read_directory_csv(DEMO_DIRECTORY)
    assert errors == [] and len(entries) >= 40
    for e in entries:
        assert e.credit_code and normalize_credit_code(e.credit_code) == e.credit_code
        assert e.mobile and len(e.mobile) == 11 and e.district == "涪城区"
