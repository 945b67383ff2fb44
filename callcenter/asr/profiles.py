"""Decoding profiles: the model as shipped for recordings, a lighter search for live calls.

Live calls must keep up with real time, several at once on two cores. The shipped
``vosk-model-small-cn-0.22`` searches with ``--beam=12 --max-active=5000 --lattice-beam=4``;
the live profile uses the values Alpha Cephei ships with its other small models
(``--beam=10 --max-active=3000 --lattice-beam=2``). On the DEV set at 8 kHz (bench/asr_bench.py)
this cut decoding time by about a fifth with CER unchanged (28.6 % vs 28.7 %); at 16 kHz it cost
0.4 points, so recordings keep the shipped settings.

Vosk reads the search settings from ``conf/model.conf`` inside the model folder, so the live
profile is an overlay folder in the user's cache: links to the shipped files plus our own
``model.conf``. Nothing is copied or changed in the model itself.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

LIVE_OVERRIDES = {"--max-active": "3000", "--beam": "10.0", "--lattice-beam": "2.0"}


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "zhitong"


def _conf(original: str, overrides: dict[str, str]) -> str:
    lines, seen = [], set()
    for line in original.splitlines():
        key = line.split("=", 1)[0].strip()
        if key in overrides:
            lines.append(f"{key}={overrides[key]}")
            seen.add(key)
        elif line.strip():
            lines.append(line.strip())
    lines += [f"{k}={v}" for k, v in overrides.items() if k not in seen]
    return "\n".join(lines) + "\n"


def live_model_dir(model_dir: Path, cache: Path | None = None) -> Path:
    """The overlay folder of ``model_dir`` with the live search settings (created once)."""
    model_dir = model_dir.resolve()
    conf = _conf((model_dir / "conf" / "model.conf").read_text("utf-8"), LIVE_OVERRIDES)
    key = hashlib.sha256(f"{model_dir}\n{conf}".encode()).hexdigest()[:16]
    for root in (cache or cache_root(), Path(tempfile.gettempdir()) / "zhitong-cache"):
        target = root / f"{model_dir.name}-live-{key}"
        try:
            if not (target / "conf" / "model.conf").exists():
                _build(model_dir, target, conf)
            return target
        except OSError:
            continue  # read-only home (containers): fall back to the temp folder
    return model_dir  # no writable place: decode live calls with the shipped settings


def _build(model_dir: Path, target: Path, conf: str) -> None:
    staging = target.with_name(target.name + f".tmp{os.getpid()}")
    (staging / "conf").mkdir(parents=True, exist_ok=True)
    for entry in model_dir.iterdir():
        if entry.name != "conf":
            (staging / entry.name).symlink_to(entry)
    for entry in (model_dir / "conf").iterdir():
        if entry.name != "model.conf":
            (staging / "conf" / entry.name).symlink_to(entry)
    (staging / "conf" / "model.conf").write_text(conf, "utf-8")
    try:
        staging.rename(target)  # atomic: two workers building at once both end up with one folder
    except OSError:
        if not (target / "conf" / "model.conf").exists():
            raise
