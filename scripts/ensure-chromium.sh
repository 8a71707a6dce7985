#!/usr/bin/env bash
# Debian's Chromium for the browser tests (test/web/*): playwright-core drives it at /usr/bin/chromium,
# since Playwright's own browser download cannot work here. Installs it with apt when missing; prints its path.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian's chromium (apt)..." >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >&2
fi
"$CHROMIUM" --version >&2
echo "$CHROMIUM"
