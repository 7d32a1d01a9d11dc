#!/usr/bin/env bash
# Install the headless browser the page tests drive (tests/server/test_pages_browser.py): Debian's chromium and
# chromium-driver. Idempotent and quiet; needs root or password-less sudo. Selenium is then given both binaries,
# so it never downloads a browser or driver itself.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "install_test_browser: needs root (or password-less sudo) to run apt-get; run:" >&2
    echo "  sudo apt-get install -y --no-install-recommends chromium chromium-driver" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_test_browser: no apt-get here; install Chromium and a matching chromedriver and put both on PATH" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
command -v chromium >/dev/null && command -v chromedriver >/dev/null
