"""The README's "Fresh Debian machine" commands and the scripts they name stay one thing, and the
scripts do what they promise: tested as shell, with apt-get, dpkg, Python and the virtualenv
replaced by recorders (the real run on a fresh bookworm is in the issue's closing note)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"


def fresh_debian_section() -> str:
    readme = (REPO / "README.md").read_text("utf-8")
    section = re.search(r"^## Fresh Debian machine\n(.*?)^## ", readme, re.S | re.M)
    assert section is not None, "README.md lost its 'Fresh Debian machine' section"
    return section.group(1)


def test_the_readme_names_the_two_scripts_as_its_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", fresh_debian_section(), re.S)
    assert [b.strip() for b in blocks] == ["./scripts/serve", "./scripts/test"]
    for name in ("serve", "test"):
        script = SCRIPTS / name
        assert script.is_file() and os.access(script, os.X_OK), f"scripts/{name} must exist and be executable"
        assert script.read_text().startswith("#!/usr/bin/env bash\n")


def test_the_packages_the_readme_promises_are_the_ones_the_scripts_install() -> None:
    lib = (SCRIPTS / "setup-lib.sh").read_text()
    runtime = re.search(r"^RUNTIME_PACKAGES=\((.*?)\)", lib, re.M)
    test_only = re.search(r"^TEST_PACKAGES=\((.*?)\)", lib, re.M)
    assert runtime and test_only
    assert set(runtime.group(1).split()) == {"espeak-ng", "tesseract-ocr", "tesseract-ocr-chi-sim", "fonts-wqy-zenhei"}
    assert test_only.group(1).split() == ["chromium", "dovecot-imapd"]
    section = fresh_debian_section()
    for promised in ("espeak-ng", "tesseract", "WenQuanYi", "python3-venv", "Chromium", "Dovecot", ".venv",
                     "../shared/asterisk", "~/.cache/zhitong/asterisk-22.10.1"):
        assert promised in section
    assert "~/.cache/zhitong/asterisk-$ASTERISK_VERSION" not in section
    assert re.search(r"^ASTERISK_VERSION=22\.10\.1$", lib, re.M)


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^ZHITONG_VENV=\$VENV bash scripts/test -ra \|\| rc=\$\?$", ci, re.M)
    assert re.search(r"^ZHITONG_VENV=\$VENV bash scripts/test --setup-only ", ci, re.M)
    assert "ZHITONG_TEST_DATABASE_URL" in ci and '"$VENV/bin/ruff" check .' in ci and '"$VENV/bin/lint-imports"' in ci
    assert "pip install" not in ci  # one way to install: the script's


# Stand-ins for the system (run as root or not): each records its arguments in $LOG. `dpkg -s P` succeeds once P was
# "installed" by the fake apt-get; python3 lacks ensurepip until python3-venv is installed, as on
# Debian; its venv holds a python that records pip installs and a zhitong that records its call.
FAKES = {
    "sudo": r'''[ "$1" = -n ] && shift; exec "$@"''',  # for a run as a user: the scripts use `sudo -n`
    "dpkg": r'''echo "dpkg $*" >> "$LOG"; [ "$1" = -s ] && grep -qx "$2" "$STATE/installed" 2>/dev/null''',
    "apt-get": r'''echo "apt-get $*" >> "$LOG"
[ "$1" = install ] && for p in "$@"; do case $p in -*|install) ;; *) echo "$p" >> "$STATE/installed";; esac; done
exit 0''',
    "python3": r'''echo "python3 $*" >> "$LOG"
case "$*" in
  "-c import ensurepip, venv") grep -qx python3-venv "$STATE/installed" 2>/dev/null ;;
  -c*print*) echo 3.11 ;;
  "-m venv "*) mkdir -p "$3/bin"
     printf '#!/bin/sh\necho "venv-python $*${ZHITONG_TEST_DATABASE_URL:+ (db)}" >> "$LOG"\n[ "$1" = -V ] && echo "Python 3.11.2"\nexit 0\n' > "$3/bin/python"
     for tool in zhitong ruff lint-imports; do
       printf '#!/bin/sh\necho "%s $*" >> "$LOG"\n' $tool > "$3/bin/$tool"; chmod +x "$3/bin/$tool"
     done
     chmod +x "$3/bin/python" ;;
  *) exit 1 ;;
esac''',
}


@pytest.fixture
def fake_system(tmp_path: Path) -> dict[str, str]:
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    for name, body in FAKES.items():
        (bin_dir / name).write_text("#!/bin/bash\n" + body + "\n")
        (bin_dir / name).chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "LOG": str(tmp_path / "log"), "STATE": str(state),
            "ZHITONG_VENV": str(tmp_path / "venv"), "HOME": str(tmp_path), "PYTHON": "python3"}


def with_fake_asterisk_build(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A shared folder whose build.sh records its call, and a curl (the build wants one)."""
    shared = tmp_path / "shared" / "asterisk"
    shared.mkdir(parents=True)
    (shared / "build.sh").write_text('echo "build.sh $*" >> "$LOG"\n')
    (tmp_path / "bin" / "curl").write_text("#!/bin/sh\n")
    (tmp_path / "bin" / "curl").chmod(0o755)
    return {**env, "ZHITONG_SHARED": str(tmp_path / "shared")}


def run_script(name: str, env: dict[str, str], *args: str) -> list[str]:
    log = Path(env["LOG"])
    log.write_text("")
    done = subprocess.run(["bash", str(SCRIPTS / name), *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return log.read_text().splitlines()


def installs(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("apt-get install")]


def test_serve_on_a_fresh_machine_installs_then_serves_and_a_rerun_goes_straight_to_the_service(
        fake_system: dict[str, str]) -> None:
    calls = run_script("serve", fake_system)
    assert installs(calls) == [
        "apt-get install -y -q --no-install-recommends espeak-ng tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-zenhei",
        "apt-get install -y -q --no-install-recommends python3-venv python3.11-venv",
    ]
    venv = fake_system["ZHITONG_VENV"]
    order = [c for c in calls if c.startswith(("apt-get install", "python3 -m venv", "venv-python -m pip", "zhitong"))]
    assert order[2:] == [f"python3 -m venv {venv}", "venv-python -m pip install -q -e .", "zhitong serve --demo"]
    again = run_script("serve", fake_system, "--port", "9000")
    assert installs(again) == [] and not any("apt-get update" in c or "pip install" in c for c in again)
    assert again[-1] == "zhitong serve --demo --port 9000"


def test_serve_uses_the_real_pbx_when_one_is_configured(fake_system: dict[str, str]) -> None:
    calls = run_script("serve", {**fake_system, "ZHITONG_AMI_HOST": "10.0.0.5"})
    assert calls[-1] == "zhitong serve"


def test_the_test_command_adds_chromium_asterisk_and_the_test_extras(
        fake_system: dict[str, str], tmp_path: Path) -> None:
    env = with_fake_asterisk_build(fake_system, tmp_path)
    run_script("serve", env)  # the service's install first: the test extras must still be added
    calls = run_script("test", env, "-x", "tests/test_cli.py")
    assert installs(calls) == ["apt-get install -y -q --no-install-recommends chromium dovecot-imapd"]
    assert f"build.sh {tmp_path}/.cache/zhitong/asterisk-22.10.1" in calls
    assert "venv-python -m pip install -q -e .[test]" in calls
    assert calls[-1] == "venv-python -m pytest -n 2 --dist loadfile -x tests/test_cli.py"
    setup_only = run_script("test", env, "--setup-only")
    assert not any("-m pip install" in c or "-m pytest" in c for c in setup_only)
    assert run_script("serve", env)[-1] == "zhitong serve --demo"  # a test install serves too


def test_ci_prepares_lints_then_runs_the_test_command_on_its_database(
        fake_system: dict[str, str], tmp_path: Path) -> None:
    env = {**with_fake_asterisk_build(fake_system, tmp_path),
           "ZHITONG_TEST_DATABASE_URL": "postgresql+asyncpg://zhitong:zhitong@127.0.0.1:5432/zhitong_test"}
    log = Path(env["LOG"])
    log.write_text("")
    done = subprocess.run(["bash", str(REPO / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = [c.strip() for c in log.read_text().splitlines() if c.startswith(("venv-python -m", "ruff", "lint-imports"))]
    assert steps == ["venv-python -m pip install -q -e .[test] (db)", "ruff check .", "lint-imports",
                     "venv-python -m pytest -n 2 --dist loadfile -ra (db)"]
    assert ".ci/run: all checks passed" in done.stdout
