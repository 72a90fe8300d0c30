#!/usr/bin/env bash
# Make Debian's Chromium available for the browser tests (Playwright drives it; it cannot download
# its own browsers here) and print its path. Installs the `chromium` package when
# INSTALL_CHROMIUM=1 (CI) and it is missing. Exits 1 if no Chromium can be had.
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
  if [ "${INSTALL_CHROMIUM:-0}" = "1" ]; then
    echo "installing Chromium from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
  fi
  [ -x "$CHROMIUM" ] || exit 1
fi
echo "$CHROMIUM"
