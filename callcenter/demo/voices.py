"""Real human speech for the demo's callers: WAV clips with optional reference transcripts.

Discovery, first hit wins (as for the ASR model, an explicitly configured folder that does not
exist is an error, not a fall-through):

1. ``$ZHITONG_DEMO_VOICES`` — a folder of ``*.wav`` (any rate the PBX side can resample: 8/16 kHz
   mono 16-bit), each with an optional ``<stem>.txt`` holding what is said;
2. ``var/demo/voices/`` (relative to where the service runs) — the same, for recordings a user drops in;
3. ``<repo>/../shared/asr_testset/`` — the Common Voice DEV clips with ``transcripts.tsv``.

From the shared set the demo takes clips whose sentence could pass for part of a hotline message
(a company and its premises, trade, materials, rules): chosen by what they say, never by how well
the model does on them; the CER printed at start shows what it really does. The clips are never
copied into the repository.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "ZHITONG_DEMO_VOICES"
DROP_FOLDER = Path("var") / "demo" / "voices"
REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_TESTSET = REPO_ROOT.parent / "shared" / "asr_testset"
# Common Voice zh-CN clip ids, in the order the story plays them (see the module docstring).
PREFERRED_CLIPS = ("19006765", "18772802", "18776251", "18627003", "22077814")
MAX_CLIPS = len(PREFERRED_CLIPS)


class VoicesError(Exception):
    """``$ZHITONG_DEMO_VOICES`` names something that is not a folder of WAV clips."""


@dataclass(frozen=True)
class VoiceClip:
    path: Path
    reference: str | None  # what the speaker says, when known (for the CER)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Voices:
    clips: tuple[VoiceClip, ...]
    source: str  # where they came from, for the log: the env var, the drop folder or the shared set
    folder: Path | None

    def __bool__(self) -> bool:
        return bool(self.clips)


def find_voices(env: Mapping[str, str] | None = None, *, cwd: Path | None = None,
                shared: Path = SHARED_TESTSET) -> Voices:
    env = os.environ if env is None else env
    explicit = (env.get(ENV_VAR) or "").strip()
    if explicit:
        folder = Path(explicit)
        if not folder.is_dir():
            raise VoicesError(f"{ENV_VAR} points to {folder}, which is not a folder")
        return Voices(folder_clips(folder), ENV_VAR, folder)
    drop = (cwd or Path.cwd()) / DROP_FOLDER
    if drop.is_dir() and (clips := folder_clips(drop)):
        return Voices(clips, "drop folder", drop)
    if shared.is_dir():
        return Voices(shared_clips(shared), "shared test set", shared)
    return Voices((), "none", None)


def folder_clips(folder: Path) -> tuple[VoiceClip, ...]:
    """Every ``*.wav`` in ``folder`` (sorted by name, at most MAX_CLIPS), with ``<stem>.txt`` or a
    line of ``transcripts.tsv`` as its reference."""
    table = _transcripts(folder)
    clips = []
    for wav in sorted(p for p in folder.glob("*.wav") if p.is_file())[:MAX_CLIPS]:
        txt = wav.with_suffix(".txt")
        reference = txt.read_text(encoding="utf-8", errors="replace").strip() if txt.is_file() else table.get(wav.name)
        clips.append(VoiceClip(wav, reference or None))
    return tuple(clips)


def shared_clips(folder: Path) -> tuple[VoiceClip, ...]:
    """The preferred clips that are present; the first clips of the set when none are."""
    table = _transcripts(folder)
    chosen = [folder / f"common_voice_zh-CN_{n}.wav" for n in PREFERRED_CLIPS]
    present = [VoiceClip(p, table.get(p.name)) for p in chosen if p.is_file()]
    return tuple(present) or folder_clips(folder)


def _transcripts(folder: Path) -> dict[str, str]:
    table = folder / "transcripts.tsv"
    if not table.is_file():
        return {}
    rows = (line.split("\t", 1) for line in table.read_text(encoding="utf-8", errors="replace").splitlines())
    return {row[0].strip(): row[1].strip() for row in rows if len(row) == 2}
