"""Loading SLA presets and the working calendar from files (the I/O side).

The pure parsing lives in worksheet (SlaPreset.from_dict,
WorkingCalendar.from_override_text); this module only finds and reads files
and puts the file name into every error, so a bad deployment file is easy to
locate. Environment variables are read by the caller (callcenter.settings).
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from worksheet.calendar import WorkingCalendar
from worksheet.errors import PolicyFileError, ValidationError
from worksheet.sla import SlaPreset


def load_builtin_presets() -> dict[str, SlaPreset]:
    """The presets shipped in worksheet/presets/, keyed by name (a fresh dict each call)."""
    presets: dict[str, SlaPreset] = {}
    folder = resources.files("worksheet").joinpath("presets")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        preset = _preset_from_text(entry.read_text("utf-8"), entry.name)
        # The file name is the preset's identity in docs and settings; keep them in step.
        if preset.name != entry.name.removesuffix(".json"):
            raise PolicyFileError(f"{entry.name}: preset name '{preset.name}' does not match the file name")
        presets[preset.name] = preset
    return presets


def load_preset_file(path: str | os.PathLike[str]) -> SlaPreset:
    """A deployment's own preset file (same JSON shape as the shipped ones)."""
    return _preset_from_text(_read(path, "preset file"), str(path))


def load_calendar(override_path: str | os.PathLike[str] | None) -> WorkingCalendar:
    """The official calendar, plus the deployment's TOML override file if one is given."""
    if override_path is None or str(override_path) == "":
        return WorkingCalendar()
    text = _read(override_path, "calendar override file")
    try:
        return WorkingCalendar.from_override_text(text)
    except ValidationError as exc:
        raise PolicyFileError(f"{override_path}: {exc.detail}") from None


def _read(path: str | os.PathLike[str], what: str) -> str:
    try:
        # utf-8-sig: files saved by Windows editors often start with a BOM.
        return Path(path).read_text("utf-8-sig")
    except FileNotFoundError:
        raise PolicyFileError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyFileError(f"cannot read {what} {path}: {exc}") from None


def _preset_from_text(text: str, name: str) -> SlaPreset:
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyFileError(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    try:
        return SlaPreset.from_dict(doc)
    except ValidationError as exc:
        raise PolicyFileError(f"{name}: {exc.detail}") from None
