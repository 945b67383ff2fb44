"""Finding and verifying the Vosk model.

Discovery order (first hit wins; an explicitly configured path that does not exist is an error, not a
fall-through): ``--model PATH``, ``$ZHITONG_ASR_MODEL``, ``<repo>/asr_models/<name>/``,
``<repo>/../shared/asr_models/<name>/``. Verification compares every file with a manifest (size, and
sha256 for the full check); the built-in manifest ``manifest_<name>.json`` sits next to this module.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_MODEL_NAME = "vosk-model-small-cn-0.22"
ENV_VAR = "ZHITONG_ASR_MODEL"
REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIRED_FILES = ("am/final.mdl", "conf/model.conf")  # structural check when no manifest is known

Manifest = dict[str, dict[str, Any]]  # relative path -> {"size": int, "sha256": str}


class ModelError(Exception):
    """A missing or damaged model; ``error_id`` is stable for logs and APIs."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id


def builtin_manifest(name: str) -> Manifest | None:
    path = Path(__file__).with_name(f"manifest_{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))["files"] if path.is_file() else None


def candidate_locations(explicit: Path | None = None, name: str = DEFAULT_MODEL_NAME,
                        repo_root: Path = REPO_ROOT) -> list[tuple[str, Path]]:
    candidates: list[tuple[str, Path]] = []
    if explicit is not None:
        candidates.append(("--model", Path(explicit)))
    if os.environ.get(ENV_VAR, "").strip():
        candidates.append((ENV_VAR, Path(os.environ[ENV_VAR].strip())))
    candidates.append(("repo", repo_root / "asr_models" / name))
    candidates.append(("shared", repo_root.parent / "shared" / "asr_models" / name))
    return candidates


def find_model(explicit: Path | None = None, name: str = DEFAULT_MODEL_NAME, repo_root: Path = REPO_ROOT) -> Path:
    """The model directory to use, or ``ModelError("asr-model-missing")``."""
    for source, path in candidate_locations(explicit, name, repo_root):
        if path.is_dir():
            return path
        if source in ("--model", ENV_VAR):
            raise ModelError("asr-model-missing", f"{source} points to {path}, which is not a directory")
    tried = ", ".join(str(p) for _, p in candidate_locations(explicit, name, repo_root))
    raise ModelError("asr-model-missing", f"ASR model {name} not found (tried {tried}); see asr_models/README.md")


@dataclass
class Verification:
    path: Path
    check: str  # "size" | "sha256" | "structure"
    missing: list[str] = field(default_factory=list)
    corrupt: list[dict[str, str]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.path.is_dir() and not self.missing and not self.corrupt

    def raise_for_problems(self) -> None:
        if not self.path.is_dir() or (self.missing and self.check == "structure"):
            raise ModelError("asr-model-missing", f"no usable ASR model at {self.path}")
        if not self.ok:
            raise ModelError("asr-model-corrupt", f"ASR model at {self.path} is damaged: "
                             f"missing {self.missing}, corrupt {[c['path'] for c in self.corrupt]}")

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "check": self.check, "missing": self.missing, "corrupt": self.corrupt,
                "extra": self.extra}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model(path: Path, *, full: bool = True, manifest: Manifest | None = None) -> Verification:
    """Size check (fast, for start-up) or size + sha256 (``full``) of every file in the manifest."""
    path = Path(path)
    manifest = manifest if manifest is not None else builtin_manifest(path.name)
    if manifest is None:
        result = Verification(path, "structure")
        result.missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
        return result
    result = Verification(path, "sha256" if full else "size")
    if not path.is_dir():
        result.missing = sorted(manifest)
        return result
    present = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
    result.extra = sorted(present - set(manifest))
    for relative, expected in sorted(manifest.items()):
        file = path / relative
        if relative not in present:
            result.missing.append(relative)
        elif file.stat().st_size != expected["size"]:
            result.corrupt.append({"path": relative, "reason": f"size {file.stat().st_size} != {expected['size']}"})
        elif full and sha256_file(file) != expected["sha256"]:
            result.corrupt.append({"path": relative, "reason": "sha256 mismatch"})
    return result


def add_models_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help=f"model directory (else ${ENV_VAR}, asr_models/, ../shared/)")
    parser.add_argument("--name", default=DEFAULT_MODEL_NAME, help="model name (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="compare sizes only, skip sha256")


def models_command(args: argparse.Namespace) -> int:
    """One JSON line per candidate location; exit 0 when the selected model verifies."""
    try:
        selected: Path | None = find_model(args.model, args.name)
    except ModelError:
        selected = None
    marked = False
    for source, path in candidate_locations(args.model, args.name):
        is_selected = not marked and selected is not None and path == selected
        marked = marked or is_selected
        line: dict[str, Any] = {"source": source, "path": str(path), "exists": path.is_dir(), "selected": is_selected}
        if path.is_dir():
            line["verification"] = verify_model(path, full=not args.quick).to_json()
        print(json.dumps(line, ensure_ascii=False), flush=True)
    if selected is None:
        print(json.dumps({"error_id": "asr-model-missing", "detail": "no model found; see asr_models/README.md"}))
        return 1
    return 0 if verify_model(selected, full=not args.quick).ok else 1
