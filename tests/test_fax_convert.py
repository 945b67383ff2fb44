"""Fax TIFF decoding, PNG/PDF output and Chinese OCR, on faxes rendered on the spot.

Nothing is skipped when tesseract, its chi_sim data or the CJK font is missing: those are Debian
packages CI installs, and a silently skipped OCR test would hide a broken fax intake.
"""

from __future__ import annotations

import io
import os
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from callcenter.fax.convert import FaxDocument, FaxImageError, convert, load_pages, to_pdf, to_png
from callcenter.fax.ocr import (
    OcrFailed,
    OcrUnavailable,
    check_tesseract,
    ocr_document,
    ocr_page,
    tidy_ocr_text,
)
from callcenter.fax.sample import FAX_WIDTH, find_cjk_font, render_fax_tiff, render_fax_tiff_pages

COMPLAINT = [
    "绵阳华翔物流有限公司",
    "反映：华翔路道路施工，货物无法运出。",
    "联系人：王经理 电话：13800138000",
    "施工单位未提前通知，封路已经三天，",
    "请求尽快协调恢复通行，谢谢！",
]
NORMAL_HEIGHT = 2292 // 2  # the rendered A4 page at 98 lines per inch


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, for a character error rate that tolerates a misread glyph or two."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edits per reference character, whitespace ignored (OCR spacing is not what is being measured)."""
    ref = re.sub(r"\s", "", reference)
    return edit_distance(ref, re.sub(r"\s", "", hypothesis)) / len(ref)


def body_text(ocr_text: str) -> str:
    """OCR text without the fax machine's header line, which is tiny and often garbled at normal res."""
    return "\n".join(line for line in ocr_text.splitlines() if "FROM" not in line)


def pdf_page_count(pdf: bytes) -> int:
    counts = re.findall(rb"/Count (\d+)", pdf)
    assert counts, "no page tree in the PDF"
    return max(int(c) for c in counts)


def png_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image


# --- sample faxes --------------------------------------------------------------------------------------


def test_a_cjk_font_is_installed() -> None:
    font = find_cjk_font()
    assert font is not None and font.is_file(), "install the Debian package fonts-wqy-zenhei"


@pytest.mark.parametrize("compression", ["group3", "group4"])
@pytest.mark.parametrize("fine", [True, False])
def test_sample_is_a_real_fax_tiff(fine: bool, compression: str) -> None:
    tiff = Image.open(io.BytesIO(render_fax_tiff(COMPLAINT, fine=fine, compression=compression)))
    assert tiff.format == "TIFF" and tiff.mode == "1"
    assert tiff.info["compression"] == compression
    assert tiff.size == (FAX_WIDTH, 2292 if fine else NORMAL_HEIGHT)
    assert tuple(map(float, tiff.info["dpi"])) == ((204.0, 196.0) if fine else (204.0, 98.0))


# --- decoding ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compression", ["group3", "group4"])
@pytest.mark.parametrize("fine", [True, False])
def test_round_trip_multi_page(fine: bool, compression: str) -> None:
    pages = [COMPLAINT, ["第二页：现场照片已另行发送。"], []]
    doc = convert(render_fax_tiff_pages(pages, fine=fine, compression=compression))

    assert isinstance(doc, FaxDocument)
    assert doc.pages == 3 and len(doc.png_pages) == 3
    for png in doc.png_pages:
        image = png_image(png)
        assert image.width == FAX_WIDTH
        assert image.convert("L").getextrema() == (0, 255)  # ink on paper, even the blank page's header
    assert doc.pdf.startswith(b"%PDF-")
    assert pdf_page_count(doc.pdf) == 3


def test_fine_resolution_is_left_alone() -> None:
    (page,) = load_pages(render_fax_tiff(COMPLAINT, fine=True))
    assert page.size == (FAX_WIDTH, 2292)
    assert page.info["dpi"][0] == page.info["dpi"][1]


def test_normal_resolution_is_stretched_to_square_pixels() -> None:
    (page,) = load_pages(render_fax_tiff(COMPLAINT, fine=False))
    assert page.size == (FAX_WIDTH, round(NORMAL_HEIGHT * 204 / 98))
    x_dpi, y_dpi = page.info["dpi"]
    assert x_dpi == y_dpi == pytest.approx(204)
    png = png_image(to_png(page))
    assert png.size == page.size
    assert png.info["dpi"] == pytest.approx((204, 204), abs=0.1)


def test_missing_resolution_means_square_pixels() -> None:
    out = io.BytesIO()
    Image.new("1", (FAX_WIDTH, 500), 1).save(out, format="TIFF", compression="group4")
    (page,) = load_pages(out.getvalue())
    assert page.size == (FAX_WIDTH, 500)


def test_resolution_in_centimetres_keeps_the_ratio() -> None:
    out = io.BytesIO()
    image = Image.new("1", (FAX_WIDTH, 1000), 1)
    image.save(out, format="TIFF", compression="group4", resolution_unit="cm", x_resolution=80.3,
               y_resolution=38.5)
    (page,) = load_pages(out.getvalue())
    assert page.height == round(1000 * 80.3 / 38.5)


def test_pdf_page_size_is_the_paper_size() -> None:
    pages = load_pages(render_fax_tiff(COMPLAINT, fine=False))
    media_box = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", to_pdf(pages))
    assert media_box is not None
    width_in, height_in = (float(v) / 72 for v in media_box.groups())
    assert width_in == pytest.approx(1728 / 204, rel=0.01)  # 215 mm, the fax scan width
    assert height_in == pytest.approx(11.7, rel=0.05)  # A4, once stretched back to square pixels


# --- bad input -----------------------------------------------------------------------------------------


def _png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("1", (100, 100), 1).save(out, format="PNG")
    return out.getvalue()


def _blank_tiff(width: int, height: int, pages: int = 1) -> bytes:
    images = [Image.new("1", (width, height), 1) for _ in range(pages)]
    out = io.BytesIO()
    images[0].save(out, format="TIFF", compression="group4", save_all=True, append_images=images[1:])
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(os.urandom(4096), id="random"),
        pytest.param(b"II*\x00" + os.urandom(4096), id="random-after-tiff-magic"),
        pytest.param(_png_bytes(), id="png"),
        pytest.param(b"%PDF-1.4\n", id="pdf"),
    ],
)
def test_not_a_tiff(data: bytes) -> None:
    with pytest.raises(FaxImageError) as caught:
        load_pages(data)
    assert caught.value.error_id == "fax-image-invalid"


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
@pytest.mark.parametrize("compression", ["group3", "group4"])
def test_truncated_tiff(fraction: float, compression: str) -> None:
    data = render_fax_tiff_pages([COMPLAINT, COMPLAINT], compression=compression)
    with pytest.raises(FaxImageError, match="corrupt or truncated"):
        convert(data[: int(len(data) * fraction)])


def test_oversized_page_is_refused_before_decoding() -> None:
    data = _blank_tiff(FAX_WIDTH, 20_000)
    assert len(data) < 10_000  # the bomb: a few kilobytes of G4 declaring 35 megapixels
    with pytest.raises(FaxImageError, match="over the .* limit"):
        load_pages(data)


def test_too_wide_page_is_refused() -> None:
    with pytest.raises(FaxImageError, match="limit"):
        load_pages(_blank_tiff(4000, 100))


def test_too_many_pages_are_refused() -> None:
    data = _blank_tiff(FAX_WIDTH, 50, pages=5)
    assert len(load_pages(data, max_pages=5)) == 5
    with pytest.raises(FaxImageError, match="more than 4 pages"):
        load_pages(data, max_pages=4)


def test_pdf_of_nothing_is_refused() -> None:
    with pytest.raises(FaxImageError):
        to_pdf([])


# --- OCR -----------------------------------------------------------------------------------------------


def test_tesseract_with_chinese_is_installed() -> None:
    assert check_tesseract() is None


def test_check_tesseract_reports_problems() -> None:
    missing_binary = check_tesseract(binary="/nonexistent/tesseract")
    assert missing_binary is not None and "tesseract-ocr" in missing_binary
    missing_lang = check_tesseract(lang="xxx_not_installed")
    assert missing_lang is not None and "tesseract-ocr-xxx-not-installed" in missing_lang


@pytest.mark.parametrize(("fine", "max_cer"), [(True, 0.05), (False, 0.08)])
async def test_ocr_reads_a_chinese_complaint(fine: bool, max_cer: float) -> None:
    doc = convert(render_fax_tiff(COMPLAINT, fine=fine, compression="group3"))
    text = await ocr_page(doc.png_pages[0])

    body = body_text(text)
    assert "13800138000" in body
    assert "道路施工" in body
    assert "华翔" in body
    assert character_error_rate("\n".join(COMPLAINT), body) <= max_cer, text
    if fine:
        assert "绵阳华翔物流有限公司" in body
        assert "FROM: 028-8888 6666" in text  # the fine header is small yet legible
    assert "  " not in text and "\n\n" not in text


async def test_ocr_document_joins_pages_with_a_blank_line() -> None:
    doc = convert(render_fax_tiff_pages([COMPLAINT[:2], ["联系人：王经理 电话：13800138000"]]))
    text = await ocr_document(doc)
    first, second = text.split("\n\n")
    assert "道路施工" in first and "P.1" in first
    assert "13800138000" in second and "P.2" in second


async def test_missing_binary_is_unavailable() -> None:
    with pytest.raises(OcrUnavailable) as caught:
        await ocr_page(_png_bytes(), binary="/nonexistent/tesseract")
    assert caught.value.error_id == "ocr-unavailable"


async def test_missing_language_is_unavailable() -> None:
    with pytest.raises(OcrUnavailable, match="tesseract-ocr-xxx-not-installed"):
        await ocr_page(_png_bytes(), lang="xxx_not_installed")


async def test_option_like_language_is_refused() -> None:
    with pytest.raises(ValueError):
        await ocr_page(_png_bytes(), lang="--help")


async def test_timeout_kills_tesseract() -> None:
    doc = convert(render_fax_tiff(COMPLAINT))
    with pytest.raises(OcrFailed) as caught:
        await ocr_page(doc.png_pages[0], timeout=0.01)
    assert caught.value.error_id == "ocr-failed"


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-tesseract"
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    binary = _script(tmp_path, f"echo $$ > {pid_file}\ncat > /dev/null\nsleep 30")
    with pytest.raises(OcrFailed, match="killed"):
        await ocr_page(b"png", binary=binary, timeout=0.5)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


async def test_non_zero_exit_is_failed(tmp_path: Path) -> None:
    binary = _script(tmp_path, "cat > /dev/null\necho 'Error in pixReadMem' >&2\nexit 3")
    with pytest.raises(OcrFailed, match="status 3: Error in pixReadMem"):
        await ocr_page(b"not a png", binary=binary)


async def test_output_is_tidied(tmp_path: Path) -> None:
    binary = _script(tmp_path, "cat > /dev/null\nprintf '反 映 : 华 翔 路\\n\\n电 话 ： １３８\\n\\f'")
    assert await ocr_page(b"png", binary=binary) == "反映：华翔路\n电话：138"


# --- tidy_ocr_text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("绵 阳 华 翔 物 流", "绵阳华翔物流"),
        ("反映 : 华翔路道路施工 , 货物无法运出 。", "反映：华翔路道路施工，货物无法运出。"),
        ("联系人 : 王经理 电话 : 13800138000", "联系人：王经理电话：13800138000"),
        ("电话：１３８００１３８０００　ＡＢｃ", "电话：13800138000 ABc"),
        ("（ 王经理 ） 说 ： “ 谢谢 ！ ”", "（王经理）说：“谢谢！”"),
        ("2026-11-23 10:15  FROM: 028-8888 6666  P.1", "2026-11-23 10:15 FROM: 028-8888 6666 P.1"),
        ("Hello World 你好 世界 ABC 公司", "Hello World 你好世界 ABC 公司"),
        ("请 问 ?", "请问？"),
        ("\n\n  第一行  \n \t \n第 二 行\n\f", "第一行\n第二行"),
        ("３．５ 吨 ， ＋８６", "3.5 吨，+86"),
        ("", ""),
    ],
)
def test_tidy_ocr_text(raw: str, tidy: str) -> None:
    assert tidy_ocr_text(raw) == tidy


@given(st.text(alphabet="中文华翔 ：:，,。.１1aB（()）\n\u3000", max_size=40))
def test_tidy_ocr_text_is_idempotent(raw: str) -> None:
    once = tidy_ocr_text(raw)
    assert tidy_ocr_text(once) == once
    assert "\n\n" not in once and "  " not in once
