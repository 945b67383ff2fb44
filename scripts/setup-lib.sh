# Shared steps of scripts/serve and scripts/test (sourced, not run): Debian packages, the
# project's virtualenv, the Asterisk build. Every step is idempotent and quick when already done,
# and prints how long it took.
#
# Works on a fresh Debian bookworm with only `python3`: Debian's Python is "externally managed"
# (no pip into it) and lacks `venv`'s ensurepip until python3-venv is installed, so the project
# lives in its own virtualenv (.venv in the clone, or ZHITONG_VENV).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
VENV=${ZHITONG_VENV:-$ROOT/.venv}
SHARED=${ZHITONG_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

# What the service needs at run time: espeak-ng renders the IVR prompts (and the demo's callers),
# tesseract with its simplified-Chinese data reads faxes, the WenQuanYi font draws the demo's faxes.
RUNTIME_PACKAGES=(espeak-ng tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-zenhei)
# And for the tests: the browser Playwright drives (its own browser download does not work here),
# and the IMAP server the mailbox tests read (tests/mail_servers.py starts its own, unprivileged).
TEST_PACKAGES=(chromium dovecot-imapd)
ASTERISK_VERSION=22.10.1

_started=$(date +%s)
step() { _started=$(date +%s); printf '\n==> %s\n' "$*"; }
done_step() { printf '    done in %s s\n' "$(( $(date +%s) - _started ))"; }
die() { printf '\n%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
    else return 1
    fi
}

# Installs the Debian packages that are missing (apt-get update only when something is).
ensure_debian_packages() {
    local missing=() pkg
    step "Debian packages: $*"
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "    already installed"
    elif ! { as_root apt-get update -q >/dev/null &&
             as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }; then
        die "could not install ${missing[*]} with apt-get; as root run: apt-get update && apt-get install -y ${missing[*]}"
    fi
    done_step
}

# Debian's python3 makes virtualenvs (with pip) only once python3-venv is installed.
ensure_python_venv() {
    if "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        return 0
    fi
    local minor
    minor=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")') ||
        die "no $PYTHON found (set PYTHON to a Python 3.11 or newer)"
    ensure_debian_packages python3-venv "python$minor-venv"
}

# Creates (or repairs) the virtualenv and installs the project into it, editable, with the given
# extras ("" or "test"). Skipped when pyproject.toml is unchanged since the last install and that
# install had the extras asked for (a test install also serves the service).
ensure_venv() {
    local extras=$1 spec=. stamp installed want
    [ -n "$extras" ] && spec=".[$extras]"
    ensure_python_venv
    step "virtualenv $VENV: pip install -e '$spec'"
    if ! "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1; then
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV" || die "$PYTHON -m venv $VENV failed"
    fi
    stamp="$VENV/.zhitong-installed"
    want="$(sha256sum < "$ROOT/pyproject.toml" | cut -c1-16) $("$VENV/bin/python" -V 2>&1)"
    installed=$(cat "$stamp" 2>/dev/null || true)
    if [ "$installed" = "$want [$extras]" ] || { [ -z "$extras" ] && [ "$installed" = "$want [test]" ]; }; then
        echo "    already installed"
    else
        (cd "$ROOT" && "$VENV/bin/python" -m pip install -q -e "$spec") || die "pip install -e '$spec' failed"
        echo "$want [$extras]" > "$stamp"
    fi
    done_step
}

# A real Asterisk 22 for tests/pbx, built from ../shared/asterisk into a cache outside the clone.
ensure_asterisk() {
    export ZHITONG_ASTERISK_PREFIX=${ZHITONG_ASTERISK_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/zhitong/asterisk-$ASTERISK_VERSION}
    step "Asterisk $ASTERISK_VERSION (real-PBX tests) in $ZHITONG_ASTERISK_PREFIX"
    [ -f "$SHARED/asterisk/build.sh" ] || die "no $SHARED/asterisk/build.sh (put the shared data folder beside the clone as 'shared', or set ZHITONG_SHARED)"
    # Asterisk's configure refuses to run without a download utility, even with pjproject's
    # archive already in its cache (build.sh does not install one).
    if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
        ensure_debian_packages curl
        step "Asterisk $ASTERISK_VERSION build"
    fi
    local shim=""
    if [ "$(id -u)" != 0 ] && as_root true; then
        # build.sh installs its build packages with a plain apt-get: give it sudo's.
        shim=$(mktemp -d)
        printf '#!/bin/sh\nexec sudo -n apt-get "$@"\n' > "$shim/apt-get" && chmod +x "$shim/apt-get"
    fi
    PATH="${shim:+$shim:}$PATH" bash "$SHARED/asterisk/build.sh" "$ZHITONG_ASTERISK_PREFIX" ||
        die "the Asterisk build failed (log: $ZHITONG_ASTERISK_PREFIX.build.log)"
    [ -n "$shim" ] && rm -rf "$shim"
    done_step
}
