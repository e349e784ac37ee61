#!/usr/bin/env bash
# Chromium for the console's browser tests (Playwright for Python drives it headless; no
# browser is downloaded by Playwright): Debian's `chromium`, installed with apt-get when
# /usr/bin/chromium is missing, which needs root. PSM_CHROMIUM names another binary.
# With --plan: print the package it would install (nothing when present) and install nothing.
set -euo pipefail

if [[ -x "${PSM_CHROMIUM:-/usr/bin/chromium}" ]]; then
  exit 0
fi
if [[ "${1:-}" == --plan ]]; then
  echo "chromium     the browser the console's tests drive headless (Playwright)"
  exit 0
fi
echo "installing Chromium (Debian package chromium) …"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
