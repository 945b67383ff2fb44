"""The shipped preset files and the file loaders in callcenter.policy."""

from __future__ import annotations

import json
from datetime import date, time
from importlib import resources
from pathlib import Path

import pytest

from callcenter.policy import load_builtin_presets, load_calendar, load_preset_file
from worksheet.errors import PolicyFileError
from worksheet.sla import TimeLimit

SEEDS = {"000_9567281a6f2f70d4.txt", "001_4f28e3152d458a8a.txt", "002_d15f30db7a67ee27.txt",
         "003_9cb5934fe3fec301.txt", "004_f89c79cd8af1840b.txt"}


def test_every_shipped_preset_loads_and_its_mappings_exist() -> None:
    presets = load_builtin_presets()
    assert sorted(presets) == ["fucheng-2024", "langfang-2019", "mianyang-962299", "yicheng-2021"]
    for name, p in presets.items():
        assert p.name == name and p.title and p.source in SEEDS
        kinds = [*p.handling_kinds, *p.dispatch_clocks.values()]
        kinds += [k for k in (p.extension_kind, p.return_kind, p.redispatch_kind, p.redo_kind, p.urgent_kind) if k]
        assert kinds and all(k in p.limits for k in kinds), name
        assert p.red_card_after == TimeLimit("working_days", 1)


def test_every_preset_file_has_the_documented_fields() -> None:
    folder = resources.files("worksheet").joinpath("presets")
    files = [f for f in folder.iterdir() if f.name.endswith(".json")]
    assert len(files) == 4
    for f in files:
        doc = json.loads(f.read_text("utf-8"))
        assert {"name", "title", "source", "notes", "end_of_day", "limits", "handling_kinds"} <= set(doc), f.name


def test_yicheng_values() -> None:
    p = load_builtin_presets()["yicheng-2021"]
    assert {k: (v.unit, v.amount) for k, v in p.limits.items()} == {
        "contact": ("working_days", 1), "answer": ("working_days", 2), "resolve": ("working_days", 7),
        "extended": ("working_days", 14), "return": ("working_days", 1), "redispatch": ("working_days", 1),
        "redo": ("working_days", 5),
    }
    assert p.handling_kinds == ("resolve",)
    assert p.dispatch_clocks == {"contact": "contact", "answer": "answer"}
    assert (p.extension_kind, p.return_kind, p.redispatch_kind, p.redo_kind) == ("extended", "return", "redispatch", "redo")
    assert p.direct_answer_closes is False and p.end_of_day == time(23, 59, 59)


def test_other_presets() -> None:
    presets = load_builtin_presets()
    lf, my, fc = presets["langfang-2019"], presets["mianyang-962299"], presets["fucheng-2024"]
    assert lf.limits["authority"] == TimeLimit("hours", 24)
    assert lf.limits["major_resolve"] == TimeLimit("days", 5)
    assert lf.limits["consultation"] == TimeLimit("immediate")
    assert lf.direct_answer_closes is True and lf.return_kind is None and lf.redo_kind is None
    assert lf.handling_kinds == ("authority", "major_resolve")
    assert my.limits["general"] == TimeLimit("days", minimum=3, maximum=15)
    assert my.urgent_kind == "urgent" and my.handling_kinds[0] == "general"
    assert fc.limits["general"] == TimeLimit("working_days", minimum=5, maximum=15)
    assert fc.limits["extended"] == TimeLimit("working_days", 30) and "30" in fc.notes
    assert fc.handling_kinds == ("general", "complex", "historical", "simple")


def test_load_preset_file(tmp_path: Path) -> None:
    doc = {"name": "mine", "title": "本地", "source": "local", "limits": {"r": {"unit": "hours", "amount": 4}},
           "handling_kinds": ["r"]}
    good = tmp_path / "mine.json"
    good.write_text(json.dumps(doc), "utf-8")
    assert load_preset_file(good).limits["r"] == TimeLimit("hours", 4)
    assert load_preset_file(str(good)).name == "mine"


def test_preset_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"name": "x",', "utf-8")
    with pytest.raises(PolicyFileError) as exc:
        load_preset_file(bad)
    assert "broken.json" in exc.value.detail
    invalid = tmp_path / "invalid.json"
    invalid.write_text('{"name": "x"}', "utf-8")
    with pytest.raises(PolicyFileError) as exc:
        load_preset_file(invalid)
    assert "invalid.json" in exc.value.detail and "limits" in exc.value.detail
    with pytest.raises(PolicyFileError) as exc:
        load_preset_file(tmp_path / "nowhere.json")
    assert "nowhere.json" in exc.value.detail


def test_load_calendar(tmp_path: Path) -> None:
    assert load_calendar(None).is_provisional(date(2027, 1, 4)) is True
    path = tmp_path / "calendar.toml"
    path.write_text('[calendar]\ncovered_years = [2027]\nextra_holidays = ["2027-01-01"]\n', "utf-8")
    cal = load_calendar(str(path))
    assert cal.is_working_day(date(2027, 1, 1)) is False and cal.is_provisional(date(2027, 1, 4)) is False
    with pytest.raises(PolicyFileError) as exc:
        load_calendar(str(tmp_path / "missing.toml"))
    assert "missing.toml" in exc.value.detail
    path.write_text('[calendar]\nextra_holidays = ["2027-02-30"]\n', "utf-8")
    with pytest.raises(PolicyFileError) as exc:
        load_calendar(str(path))
    assert "calendar.toml" in exc.value.detail and "2027-02-30" in exc.value.detail
