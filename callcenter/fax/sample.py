"""Realistic fax TIFFs for tests and the demo, made on the spot instead of shipped as binary fixtures.

A received fax (Asterisk ``ReceiveFAX``, i.e. spandsp) is a TIFF-F file: 1-bit pages 1728 px wide,
CCITT group 3 or 4 compressed, 204x196 dpi ("fine") or 204x98 dpi ("normal", every scan line twice as
tall).  Rendering one from Chinese text with a real CJK font lets the tests exercise the same decode,
resolution and OCR paths as production, at a known ground truth.

Pages are drawn at fine resolution (close to square pixels) in grayscale; a normal-resolution fax is
made by squeezing the page to half height *before* thresholding to 1 bit, which is what a fax machine
scanning at 98 lines per inch does, so its OCR difficulty is realistic.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FAX_WIDTH = 1728  # ITU-T T.4 A4 scan line, in pixels
FINE_DPI = (204, 196)
NORMAL_DPI = (204, 98)
A4_FINE_HEIGHT = 2292  # 297 mm at 7.7 lines/mm
COMPRESSIONS = ("group3", "group4")
DEFAULT_FONT_PX = 48  # about 6 mm glyphs (17 pt): tesseract chi_sim reads it near-perfectly even at normal res
DEFAULT_HEADER = "2026-11-23 10:15  FROM: 028-8888 6666"

# Debian's CJK font packages, most common first; a .ttc is fine (face 0 is Simplified Chinese in each).
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # fonts-noto-cjk
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),  # fonts-noto-cjk (serif)
)


class CjkFontMissing(RuntimeError):
    """No font can draw Chinese; raised loudly so CI without ``fonts-wqy-zenhei`` fails instead of skipping."""

    error_id = "fax-font-missing"


def _fc_match_font() -> Path | None:
    """Ask fontconfig, but only trust the answer if the font really covers zh-cn (fc-match never says no)."""
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{lang}", ":lang=zh-cn"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    file, _, langs = out.partition("\n")
    if not file or "zh-cn" not in langs.split("|"):
        return None
    path = Path(file)
    return path if path.is_file() else None


def find_cjk_font() -> Path | None:
    """A TrueType/OpenType font file with Simplified Chinese glyphs, or None."""
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    return _fc_match_font()


def _load_font(size: int) -> ImageFont.FreeTypeFont:
    path = find_cjk_font()
    if path is None:
        raise CjkFontMissing(
            "no CJK font found (tried " + ", ".join(map(str, FONT_CANDIDATES))
            + " and fc-match :lang=zh-cn); install the Debian package fonts-wqy-zenhei"
        )
    return ImageFont.truetype(str(path), size)


def _render_page(lines: Sequence[str], header: str, font_px: int) -> Image.Image:
    """One A4 page in grayscale at fine resolution: fax-machine header on top, then the body text."""
    page = Image.new("L", (FAX_WIDTH, A4_FINE_HEIGHT), 255)
    draw = ImageDraw.Draw(page)
    header_font = _load_font(24)
    body_font = _load_font(font_px)
    draw.text((40, 16), header, font=header_font, fill=0)
    y = 140
    for line in lines:
        draw.text((120, y), line, font=body_font, fill=0)
        y += round(font_px * 1.8)
    return page


def _to_fax_bits(page: Image.Image, fine: bool) -> Image.Image:
    """Scan the page as a fax machine would: halve the lines for normal resolution, then threshold."""
    if not fine:
        page = page.resize((page.width, page.height // 2), Image.Resampling.BOX)
    return page.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def render_fax_tiff_pages(
    pages: Sequence[Sequence[str]],
    *,
    fine: bool = True,
    compression: str = "group4",
    header: str = DEFAULT_HEADER,
    font_px: int = DEFAULT_FONT_PX,
) -> bytes:
    """A multi-page TIFF-F fax; each page is a sequence of text lines (may be empty for a blank page)."""
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS}, not {compression!r}")
    if not pages:
        raise ValueError("a fax has at least one page")
    images = [
        _to_fax_bits(_render_page(lines, f"{header}  P.{number}", font_px), fine)
        for number, lines in enumerate(pages, start=1)
    ]
    out = io.BytesIO()
    images[0].save(
        out, format="TIFF", compression=compression, dpi=FINE_DPI if fine else NORMAL_DPI,
        save_all=True, append_images=images[1:],
    )
    return out.getvalue()


def render_fax_tiff(
    lines: Sequence[str],
    *,
    fine: bool = True,
    compression: str = "group4",
    header: str = DEFAULT_HEADER,
    font_px: int = DEFAULT_FONT_PX,
) -> bytes:
    """A one-page TIFF-F fax showing ``lines``."""
    return render_fax_tiff_pages([lines], fine=fine, compression=compression, header=header, font_px=font_px)
