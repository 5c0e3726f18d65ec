#!/usr/bin/env bash
# Installs whatever is missing, then runs the app, the tests or the benchmarks:
#   ./run.sh [--demo] [options]            the app on http://localhost:8080 (see ./run.sh --help)
#   ./run.sh cluster N [--demo] [options]  N nodes sharing prices through Valkey, behind HAProxy on
#                                          http://localhost:8080 (see ./run.sh cluster --help);
#                                          --ha: Valkey primary, replica and three sentinels
#   ./run.sh test [PATH...] [pytest args]  the whole suite (or the tests under PATH), headless
#   ./run.sh bench [scenario]              the benchmarks
set -euo pipefail
cd "$(dirname "$0")"
VENV="$PWD/.venv"
PY="$VENV/bin/python"

say() { printf '[run.sh] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $* with apt-get"
  as_root apt-get update -qq >/dev/null || return 1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_venv() {
  if [ ! -x "$PY" ]; then
    local python="${PYTHON:-python3}"
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
      || { say "Python 3.11 or newer is needed (set PYTHON=/path/to/python3)"; exit 1; }
    say "creating .venv"
    "$python" -m venv "$VENV" || { say "venv failed: sudo apt-get install python3-venv"; exit 1; }
  fi
  local stamp="$VENV/.requirements.sha256" wanted
  wanted=$(sha256sum requirements.txt | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    say "installing requirements"
    "$PY" -m pip install -q --disable-pip-version-check -r requirements.txt
    echo "$wanted" > "$stamp"
  fi
}

playwright_chromium() {
  "$PY" - <<'PYEOF' 2>/dev/null
import os
from playwright.sync_api import sync_playwright
with sync_playwright() as p:
    path = p.chromium.executable_path
print(path if os.path.exists(path) else '')
PYEOF
}

ensure_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -x "$CHROMIUM_PATH" ] || { say "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"; exit 1; }
    return
  fi
  [ -n "$(playwright_chromium)" ] && return  # Playwright's own build wins where the user has one
  local name path
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if path=$(command -v "$name"); then export CHROMIUM_PATH="$path"; return; fi
  done
  if apt_install chromium && path=$(command -v chromium); then export CHROMIUM_PATH="$path"; return; fi
  say "No Chromium found and none could be installed. Run one of:"
  say "  sudo apt-get install chromium"
  say "  $PY -m playwright install --with-deps chromium"
  exit 1
}

ensure_virtual_display() {
  command -v xvfb-run >/dev/null 2>&1 && return
  apt_install xvfb xauth && return
  say "No screen and no Xvfb. Run: sudo apt-get install xvfb   (or start with --headless)"
  exit 1
}

ensure_storage_secret() {
  [ -s .storage_secret ] || "$PY" -c 'import secrets; print(secrets.token_urlsafe(32))' > .storage_secret
  STORAGE_SECRET=$(cat .storage_secret)
  export STORAGE_SECRET
}

ensure_haproxy() {
  # Debian's haproxy lives in /usr/sbin, which an ordinary user's PATH may lack.
  if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then return; fi
  apt_install haproxy && return
  say "No HAProxy and it could not be installed. Run: sudo apt-get install haproxy"
  exit 1
}

# The accessibility tests inject axe-core, pinned by version and checksum, from the npm registry (npm pack).
AXE_VERSION=4.14.1
AXE_SHA256=29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
AXE_FILE="tests/e2e/vendor/axe-core-$AXE_VERSION.min.js"
ensure_axe() {
  [ -s "$AXE_FILE" ] && return
  command -v npm >/dev/null 2>&1 || apt_install npm \
    || { say "npm is needed to fetch axe-core: sudo apt-get install npm"; exit 1; }
  local tmp
  tmp=$(mktemp -d)
  say "fetching axe-core $AXE_VERSION with npm"
  if (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null \
        && tar -xzf "axe-core-$AXE_VERSION.tgz" package/axe.min.js) \
      && echo "$AXE_SHA256  $tmp/package/axe.min.js" | sha256sum -c --quiet; then
    mkdir -p "$(dirname "$AXE_FILE")"
    mv "$tmp/package/axe.min.js" "$AXE_FILE"
    rm -rf "$tmp"
  else
    rm -rf "$tmp"
    say "could not fetch axe-core $AXE_VERSION (or its checksum differs)"
    exit 1
  fi
}

wants_headless() {
  case "${HEADLESS:-}" in 1|true|yes|on) return 0 ;; esac
  local arg
  for arg in "$@"; do [ "$arg" = --headless ] && return 0; done
  return 1
}

# Headed Chromium needs a screen: when there is none, every browser the command starts shares one virtual display.
exec_with_screen() {
  if wants_headless "$@" || [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then exec "$@"; fi
  ensure_virtual_display
  say "no screen: Chromium runs headed on a virtual display"
  exec xvfb-run --auto-servernum --server-args='-screen 0 1920x1080x24' "$@"
}

ensure_venv
ensure_chromium
ensure_storage_secret
case "${1:-}" in
  test)
    shift
    ensure_virtual_display  # one test proves the default headed mode on a virtual display
    ensure_haproxy  # the cluster tests put real nodes behind it
    ensure_axe
    export HEADLESS=1
    # Paths given (./run.sh test tests/e2e/test_sorting.py -x) run just those; otherwise the whole suite.
    for arg in "$@"; do case "$arg" in tests|tests/*) exec "$PY" -m pytest "$@" ;; esac; done
    say "ruff (settings in pyproject.toml)"
    "$PY" -m ruff check . || { say "ruff found the problems above: mend them"; exit 1; }
    say "mypy (the packages pyproject.toml lists)"
    "$PY" -m mypy || { say "mypy found the problems above: mend them"; exit 1; }
    exec "$PY" -m pytest tests "$@"
    ;;
  bench)
    shift
    export HEADLESS=1
    exec "$PY" -m bench "$@"
    ;;
  cluster)
    shift
    ensure_haproxy
    exec_with_screen "$PY" -m launcher run "$@"
    ;;
esac
exec_with_screen "$PY" main.py "$@"
