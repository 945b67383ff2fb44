"""Received fax TIFF to PNG pages (display, OCR) and one PDF (archive, download).

Why the care: the TIFF comes from whoever dialled the hotline's fax line, so it is untrusted input.
A CCITT G4 page is a few kilobytes even when it declares a huge bitmap, so sizes and the page count are
checked from the header *before* any page is decoded, and every Pillow failure mode is turned into one
typed ``FaxImageError`` the intake can report and store without crashing.

Fax "normal" resolution is 204x98 dpi: each pixel is twice as tall as it is wide, and shown 1:1 the page
looks squashed and OCR misreads it.  Pages are stretched to square pixels here, once, so every consumer
(OCR, the web view, the PDF) sees the same geometry.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_PAGES = 40
MAX_PAGE_WIDTH = 2432  # the widest ITU-T T.4 scan line (A3); A4 faxes are 1728
MAX_PAGE_HEIGHT = 4800  # an A4 page at "superfine" 391 lines/inch is about 4600 lines
SQUARE_TOLERANCE = 0.1  # 204x196 "fine" is square enough: resampling it would only blur
DEFAULT_DPI = 204.0  # fax horizontal resolution, used when a TIFF carries no resolution tags

# Everything Pillow and its decoders are known to raise on bad input.
_PIL_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, KeyError, IndexError,
               TypeError, ZeroDivisionError, Image.DecompressionBombError)


class FaxImageError(Exception):
    """The fax file cannot be used: empty, not a TIFF, corrupt, or beyond the size limits."""

    error_id = "fax-image-invalid"


@dataclass(frozen=True)
class FaxDocument:
    """A decoded fax ready to store: page count, one PNG per page, and the whole fax as a PDF."""

    pages: int
    png_pages: tuple[bytes, ...]
    pdf: bytes


def _resolution(page: Image.Image) -> tuple[float, float] | None:
    """(x, y) resolution from the TIFF tags; only the ratio matters, so the unit (inch or cm) does not."""
    res = page.info.get("dpi") or page.info.get("resolution")
    if not res or len(res) != 2:
        return None
    try:
        x, y = float(res[0]), float(res[1])
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return (x, y) if x > 0 and y > 0 else None


def square_pixels(page: Image.Image) -> Image.Image:
    """The page stretched vertically so its pixels are square, with a matching dpi in ``info``.

    Nearest-neighbour keeps a 1-bit page 1-bit (small PNGs, CCITT in the PDF) and, for the usual 2:1
    ratio, is exactly the line doubling fax viewers do.
    """
    res = _resolution(page)
    x_dpi, y_dpi = res if res is not None else (DEFAULT_DPI, DEFAULT_DPI)
    if page.mode not in ("1", "L"):
        page = page.convert("L")
    ratio = x_dpi / y_dpi
    if abs(ratio - 1.0) > SQUARE_TOLERANCE:
        page = page.resize((page.width, max(1, round(page.height * ratio))), Image.Resampling.NEAREST)
    page.info = {"dpi": (x_dpi, x_dpi)}
    return page


def _check_size(index: int, size: tuple[int, int], max_width: int, max_height: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise FaxImageError(f"fax page {index + 1} has an empty size {width}x{height}")
    if width > max_width or height > max_height:
        raise FaxImageError(
            f"fax page {index + 1} is {width}x{height} px, over the {max_width}x{max_height} px limit"
        )


def load_pages(
    data: bytes,
    *,
    max_pages: int = MAX_PAGES,
    max_width: int = MAX_PAGE_WIDTH,
    max_height: int = MAX_PAGE_HEIGHT,
) -> list[Image.Image]:
    """Every page of a fax TIFF, decoded and normalised to square pixels (see ``square_pixels``)."""
    if not data:
        raise FaxImageError("the fax file is empty")
    if data[:4] not in (b"II*\x00", b"MM\x00*"):
        raise FaxImageError("the fax file is not a TIFF image")
    page_count = count_tiff_pages(data, max_pages=max_pages)
    pages: list[Image.Image] = []
    try:
        with Image.open(io.BytesIO(data), formats=["TIFF"]) as tiff:
            for index in range(page_count):
                tiff.seek(index)
                _check_size(index, tiff.size, max_width, max_height)
                tiff.load()
                pages.append(square_pixels(tiff.copy()))
    except FaxImageError:
        raise
    except _PIL_ERRORS as exc:
        raise FaxImageError(f"the fax TIFF is corrupt or truncated: {type(exc).__name__}: {exc}") from exc
    return pages


def count_tiff_pages(data: bytes, *, max_pages: int = MAX_PAGES) -> int:
    """Pages in a classic TIFF, found by walking its directories without decoding anything.

    Why not just Pillow: it skips directory entries and strips that lie past the end of the file with a
    warning, so a fax cut short in transmission could lose a page or its resolution silently.  Here every
    directory, every out-of-line tag value and every strip must lie inside the file, and the page count
    is known (and limited) before the first page is decoded.
    """
    order = "<" if data[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack_from(order + "I", data, 4)
        seen: set[int] = set()
        while offset:
            if offset in seen:
                raise FaxImageError("the fax TIFF is corrupt or truncated: its page directories form a loop")
            seen.add(offset)
            if len(seen) > max_pages:
                raise FaxImageError(f"the fax has more than {max_pages} pages")
            offset = _check_directory(data, order, offset, len(seen))
    except struct.error as exc:
        raise FaxImageError(f"the fax TIFF is corrupt or truncated: {exc}") from exc
    if not seen:
        raise FaxImageError("the fax TIFF has no pages")
    return len(seen)


_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_DATA_TAGS = ((273, 279), (324, 325))  # (offsets, byte counts) of strips, then of tiles


def _check_directory(data: bytes, order: str, offset: int, page: int) -> int:
    """Check one page directory and its image data lie inside ``data``; the next directory's offset."""
    def truncated(what: str) -> FaxImageError:
        return FaxImageError(f"the fax TIFF is corrupt or truncated: page {page} {what} past the end of the file")

    (entries,) = struct.unpack_from(order + "H", data, offset)
    next_at = offset + 2 + 12 * entries
    if next_at + 4 > len(data):
        raise truncated("directory ends")
    arrays: dict[int, tuple[int, ...]] = {}
    for at in range(offset + 2, next_at, 12):
        tag, kind, count, inline = struct.unpack_from(order + "HHI4s", data, at)
        size = _TYPE_SIZES.get(kind, 0) * count
        value = inline[:size]
        if size > 4:
            (value_at,) = struct.unpack(order + "I", inline)
            if value_at + size > len(data):
                raise truncated(f"tag {tag} value lies")
            value = data[value_at:value_at + size]
        if kind in (3, 4) and any(tag in pair for pair in _DATA_TAGS):
            arrays[tag] = struct.unpack(order + ("H" if kind == 3 else "I") * count, value)
    if not any(pair[0] in arrays for pair in _DATA_TAGS):
        raise FaxImageError(f"the fax TIFF is corrupt: page {page} has no image data")
    for offsets_tag, counts_tag in _DATA_TAGS:
        starts, lengths = arrays.get(offsets_tag, ()), arrays.get(counts_tag, ())
        if len(starts) != len(lengths):
            raise FaxImageError(f"the fax TIFF is corrupt: page {page} has mismatched strip tables")
        if any(start + length > len(data) for start, length in zip(starts, lengths, strict=True)):
            raise truncated("image data runs")
    (next_offset,) = struct.unpack_from(order + "I", data, next_at)
    return int(next_offset)


def to_png(page: Image.Image) -> bytes:
    """One page as PNG, keeping its dpi so tesseract and viewers know the scale."""
    out = io.BytesIO()
    dpi = page.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))
    page.save(out, format="PNG", optimize=True, dpi=dpi)
    return out.getvalue()


def to_pdf(pages: list[Image.Image]) -> bytes:
    """All pages as one PDF whose page size is the paper size (from the dpi), e.g. about A4 for a fax."""
    if not pages:
        raise FaxImageError("cannot make a PDF of zero pages")
    out = io.BytesIO()
    resolution = float(pages[0].info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))[0])
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=resolution)
    return out.getvalue()


def convert(data: bytes) -> FaxDocument:
    """Decode a received fax TIFF into what the intake stores; raises ``FaxImageError`` on bad input."""
    pages = load_pages(data)
    return FaxDocument(pages=len(pages), png_pages=tuple(to_png(p) for p in pages), pdf=to_pdf(pages))
