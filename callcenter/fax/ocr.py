"""Chinese OCR of fax pages with the ``tesseract`` command line (Debian ``tesseract-ocr-chi-sim``).

Why the CLI and not a binding: it is one apt package, no compiled Python extension, and a separate
process can be killed on a timeout, which a stuck in-process call cannot.  Each page is fed as PNG on
stdin and the text read from stdout, so no temporary files are left behind.

Errors are split the way an operator acts on them: ``OcrUnavailable`` (install something: the binary or
the language data is missing) versus ``OcrFailed`` (this page could not be read: crash or timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import unicodedata

from callcenter.fax.convert import FaxDocument

DEFAULT_LANG = "chi_sim"
# psm 4 ("a single column of text of variable sizes") keeps the small fax header line and the larger
# body apart; psm 6 (one uniform block) misreads the header more often at normal resolution.
DEFAULT_PSM = 4
_LANG_RE = re.compile(r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")
_MISSING_LANG_MARKERS = ("Failed loading language", "Could not initialize tesseract")


class OcrError(Exception):
    """Base of the OCR errors; ``error_id`` is stable for logs and APIs."""

    error_id = "ocr-error"


class OcrUnavailable(OcrError):
    """tesseract or its language data is not installed: an operator must install a package."""

    error_id = "ocr-unavailable"


class OcrFailed(OcrError):
    """tesseract ran but produced no result for this page (non-zero exit, or killed on timeout)."""

    error_id = "ocr-failed"


def debian_package(lang: str) -> str:
    """The Debian package carrying a tesseract language, e.g. chi_sim -> tesseract-ocr-chi-sim."""
    return "tesseract-ocr-" + lang.lower().replace("_", "-")


def _check_lang(lang: str) -> None:
    # The value ends up in argv: refuse anything that could be read as an option.
    if not _LANG_RE.fullmatch(lang):
        raise ValueError(f"invalid tesseract language {lang!r}")


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """Kill tesseract and anything it started (it runs in its own session, so its group is its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def ocr_page(
    png: bytes,
    *,
    lang: str = DEFAULT_LANG,
    timeout: float = 60.0,
    binary: str = "tesseract",
    psm: int = DEFAULT_PSM,
) -> str:
    """The tidied text of one page image (PNG bytes)."""
    _check_lang(lang)
    argv = [binary, "stdin", "stdout", "-l", lang, "--psm", str(psm)]
    # One OpenMP thread per process: tesseract's threading gains little and oversubscribes a small box
    # when several faxes are read at once.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True,
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise OcrUnavailable(f"cannot run {binary!r} ({exc}); install the Debian package tesseract-ocr") from exc
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(png), timeout)
    except TimeoutError as exc:
        _kill_group(proc)
        await proc.wait()
        raise OcrFailed(f"tesseract did not finish within {timeout:g} s and was killed") from exc
    except BaseException:  # cancelled: never leave an orphan tesseract behind
        _kill_group(proc)
        await proc.wait()
        raise
    err = stderr.decode("utf-8", errors="replace")
    if any(marker in err for marker in _MISSING_LANG_MARKERS):
        raise OcrUnavailable(
            f"tesseract has no language data for {lang!r}; install the Debian package {debian_package(lang)}"
        )
    if proc.returncode != 0:
        tail = " | ".join(err.strip().splitlines()[-3:])
        raise OcrFailed(f"tesseract exited with status {proc.returncode}: {tail}")
    return tidy_ocr_text(stdout.decode("utf-8", errors="replace"))


async def ocr_document(
    doc: FaxDocument,
    *,
    lang: str = DEFAULT_LANG,
    timeout: float = 60.0,
    binary: str = "tesseract",
) -> str:
    """Text of every page, one after the other (sequential: one tesseract per fax keeps CPU use bounded)."""
    texts = [await ocr_page(png, lang=lang, timeout=timeout, binary=binary) for png in doc.png_pages]
    return "\n\n".join(texts)


def check_tesseract(binary: str = "tesseract", lang: str = DEFAULT_LANG) -> str | None:
    """A human-readable problem with the OCR set-up (for a health check or start-up log), or None."""
    _check_lang(lang)
    try:
        result = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=15, check=False,
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError):
        return f"{binary!r} not found; install the Debian package tesseract-ocr"
    except subprocess.TimeoutExpired:
        return f"{binary!r} --list-langs did not answer within 15 s"
    if result.returncode != 0:
        return f"{binary!r} --list-langs exited with status {result.returncode}: {result.stderr.strip()}"
    # tesseract 5 prints the list on stdout, 4 on stderr; the first line is a heading.
    listed = {line.strip() for line in (result.stdout + "\n" + result.stderr).splitlines()[1:]}
    missing = [part for part in lang.split("+") if part not in listed]
    if missing:
        packages = " ".join(debian_package(part) for part in missing)
        return f"tesseract has no language data for {'+'.join(missing)}; install the Debian package {packages}"
    return None


# --- text clean-up -------------------------------------------------------------------------------------

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Chinese punctuation: CJK symbols (、。《》【】…), the full-width forms kept below, quotes, dashes, ellipsis.
_CJK_PUNCT = "\u3001-\u303f\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f\uff5e\u2014\u2018\u2019\u201c\u201d\u2026"
# Full-width forms that are Chinese punctuation and must survive NFKC-style folding.
_KEEP_FULLWIDTH = set("！（），：；？～")
# tesseract chi_sim often emits ASCII punctuation (with spaces) for the full-width one after a Han character.
_TO_FULLWIDTH = {":": "：", ";": "；", ",": "，", "!": "！", "?": "？"}

_ASCII_PUNCT_AFTER_HAN = re.compile(rf"(?<=[{_HAN}])[ \t]*([:;,!?])[ \t]*")
_SPACE_BETWEEN_HAN = re.compile(rf"(?<=[{_HAN}])[ \t]+(?=[{_HAN}])")
_SPACE_BEFORE_CJK_PUNCT = re.compile(rf"[ \t]+(?=[{_CJK_PUNCT}])")
_SPACE_AFTER_CJK_PUNCT = re.compile(rf"(?<=[{_CJK_PUNCT}])[ \t]+")
_SPACES = re.compile(r"[ \t]{2,}")


def _fold_fullwidth(char: str) -> str:
    """Full-width letters, digits and symbols to ASCII (０→0, Ａ→A), Chinese punctuation untouched."""
    if char == "\u3000":
        return " "
    if "\uff01" <= char <= "\uff5e" and char not in _KEEP_FULLWIDTH:
        return unicodedata.normalize("NFKC", char)
    return char


def _tidy_line(line: str) -> str:
    line = "".join(_fold_fullwidth(c) for c in line)
    line = _ASCII_PUNCT_AFTER_HAN.sub(lambda m: _TO_FULLWIDTH[m.group(1)], line)
    line = _SPACE_BETWEEN_HAN.sub("", line)
    line = _SPACE_BEFORE_CJK_PUNCT.sub("", line)
    line = _SPACE_AFTER_CJK_PUNCT.sub("", line)
    return _SPACES.sub(" ", line).strip()


def tidy_ocr_text(text: str) -> str:
    """OCR output as readable Chinese text: no spaces inside Chinese runs, no blank lines.

    Spaces between Latin words and numbers are kept ("FROM: 028-8888 6666"), as are spaces between a
    Chinese and a Latin word, which Chinese typesetting uses too.
    """
    lines = (_tidy_line(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
