#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian machine, and nothing twice:
# Debian's browsers (Playwright drives /usr/bin/chromium; tests/engines drive firefox-esr and WebKitGTK; we never
# download a browser build), a venv with the
# package and its test extras, the pinned npm runtimes from package-lock.json, and the static bundle.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# Debian packages, each named by the binary it provides: chromium (Playwright drives it), firefox-esr (WebDriver BiDi,
# tests/engines), webkit2gtk-driver (WebKitWebDriver and MiniBrowser, the WebKitGTK engine), xvfb (a display for
# MiniBrowser, which has no headless mode), gir1.2-webkit2-4.1 and python3-gi (the same engine from the system
# Python, for make bench's WebKitGTK browser with a persistent profile: bench/webkit_browser.py). Only what is
# missing is installed, in one apt-get run.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || missing+=(webkit2gtk-driver)
[ -x /usr/bin/Xvfb ] || missing+=(xvfb)
[ -e /usr/lib/x86_64-linux-gnu/girepository-1.0/WebKit2-4.1.typelib ] || missing+=(gir1.2-webkit2-4.1)
/usr/bin/python3 -c "import gi" 2>/dev/null || missing+=(python3-gi)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  log "installing py-bridge[test] into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch .venv/.installed
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (pinned Pyodide and PyScript)"
  npm ci --no-audit --no-fund --loglevel=error
fi

log "building the bundle into static/"
.venv/bin/py-bridge build static >/dev/null
