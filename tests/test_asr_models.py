"""Model discovery order and manifest verification."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import pytest

from callcenter.asr import models
from callcenter.asr.models import (
    DEFAULT_MODEL_NAME,
    ModelError,
    builtin_manifest,
    find_model,
    models_command,
    verify_model,
)

NAME = DEFAULT_MODEL_NAME


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    repo = tmp_path / "repo"
    paths = {
        "explicit": tmp_path / "explicit" / NAME,
        "env": tmp_path / "env" / NAME,
        "repo": repo / "asr_models" / NAME,
        "shared": tmp_path / "shared" / "asr_models" / NAME,
        "root": repo,
    }
    for key in ("explicit", "env", "repo", "shared"):
        paths[key].mkdir(parents=True)
    monkeypatch.delenv(models.ENV_VAR, raising=False)
    return paths


def test_discovery_order(layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root = layout["root"]
    monkeypatch.setenv(models.ENV_VAR, str(layout["env"]))
    assert find_model(layout["explicit"], repo_root=root) == layout["explicit"]
    assert find_model(None, repo_root=root) == layout["env"]
    monkeypatch.delenv(models.ENV_VAR)
    assert find_model(None, repo_root=root) == layout["repo"]
    layout["repo"].rmdir()
    assert find_model(None, repo_root=root) == layout["shared"]
    layout["shared"].rmdir()
    with pytest.raises(ModelError) as caught:
        find_model(None, repo_root=root)
    assert caught.value.error_id == "asr-model-missing"


def test_configured_path_that_is_missing_is_an_error(layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelError, match="--model"):
        find_model(layout["root"] / "nope", repo_root=layout["root"])
    monkeypatch.setenv(models.ENV_VAR, str(layout["root"] / "nope"))
    with pytest.raises(ModelError, match=models.ENV_VAR) as caught:
        find_model(None, repo_root=layout["root"])
    assert caught.value.error_id == "asr-model-missing"


def fake_model(root: Path) -> tuple[Path, dict[str, dict[str, object]]]:
    model = root / "fake-model"
    files = {"am/final.mdl": b"acoustic model", "conf/model.conf": b"--beam=10\n"}
    manifest = {}
    for relative, content in files.items():
        (model / relative).parent.mkdir(parents=True, exist_ok=True)
        (model / relative).write_bytes(content)
        manifest[relative] = {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    return model, manifest


def test_verification_detects_corrupt_missing_and_extra_files(tmp_path: Path) -> None:
    model, manifest = fake_model(tmp_path)
    assert verify_model(model, manifest=manifest).ok
    (model / "am/final.mdl").write_bytes(b"acoustic MODEL")  # same size, different bytes
    assert verify_model(model, full=False, manifest=manifest).ok  # the quick check only compares sizes
    full = verify_model(model, manifest=manifest)
    assert not full.ok and full.corrupt == [{"path": "am/final.mdl", "reason": "sha256 mismatch"}]
    (model / "am/final.mdl").write_bytes(b"short")
    assert verify_model(model, full=False, manifest=manifest).corrupt[0]["reason"].startswith("size 5")
    (model / "conf/model.conf").unlink()
    (model / "notes.txt").write_text("x")
    result = verify_model(model, manifest=manifest)
    assert result.missing == ["conf/model.conf"] and result.extra == ["notes.txt"]
    with pytest.raises(ModelError) as caught:
        result.raise_for_problems()
    assert caught.value.error_id == "asr-model-corrupt"


def test_engine_refuses_a_damaged_model(tmp_path: Path) -> None:
    from callcenter.asr.engine import AsrEngine

    damaged = tmp_path / NAME
    for relative in builtin_manifest(NAME) or {}:
        (damaged / relative).parent.mkdir(parents=True, exist_ok=True)
        (damaged / relative).write_bytes(b"")
    with pytest.raises(ModelError) as caught:
        AsrEngine.load(damaged)
    assert caught.value.error_id == "asr-model-corrupt"
    with pytest.raises(ModelError) as caught:
        AsrEngine.load(tmp_path / "elsewhere")
    assert caught.value.error_id == "asr-model-missing"


def test_builtin_manifest_matches_the_real_model(shared_dir: Path) -> None:
    manifest = builtin_manifest(NAME)
    assert manifest is not None and len(manifest) == 14
    assert sum(int(f["size"]) for f in manifest.values()) == 68_292_271
    result = verify_model(shared_dir / "asr_models" / NAME, full=True)
    assert result.ok and result.check == "sha256" and not result.extra, result.to_json()


def test_models_command(shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(model=shared_dir / "asr_models" / NAME, name=NAME, quick=False)
    assert models_command(args) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["source"] == "--model" and lines[0]["selected"] and lines[0]["verification"]["ok"]
    assert sum(line["selected"] for line in lines) == 1
    empty = tmp_path / "empty-model"
    empty.mkdir()
    assert models_command(argparse.Namespace(model=empty, name=NAME, quick=True)) == 1
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first["verification"]["missing"] == ["am/final.mdl", "conf/model.conf"]


def test_the_live_profile_is_an_overlay_with_a_lighter_search(shared_dir: Path, tmp_path: Path) -> None:
    from callcenter.asr.profiles import LIVE_OVERRIDES, live_model_dir

    model = shared_dir / "asr_models" / "vosk-model-small-cn-0.22"
    live = live_model_dir(model, cache=tmp_path)
    conf = (live / "conf" / "model.conf").read_text()
    for key, value in LIVE_OVERRIDES.items():
        assert f"{key}={value}" in conf.splitlines()
    assert "--frame-subsampling-factor=3" in conf  # the rest is the shipped configuration
    assert (live / "am" / "final.mdl").resolve() == (model / "am" / "final.mdl").resolve()
    assert (live / "conf" / "mfcc.conf").read_text() == (model / "conf" / "mfcc.conf").read_text()
    assert live_model_dir(model, cache=tmp_path) == live  # built once, reused
    assert (model / "conf" / "model.conf").read_text().count("--beam=12.0") == 1  # the model is untouched
