#!/usr/bin/env bash
# Chromium for the console's browser tests (Playwright for Python drives it headless; no
# browser is downloaded by Playwright): Debian's `chromium`, installed with apt-get when
# /usr/bin/chromium is missing, which needs root. PSM_CHROMIUM names another binary.
# With it, `fonts-dejavu-core`: the console prints certificates in DejaVu Serif (names with
# diacritics; without it they are transliterated to the PDF core font).
# With --plan: print the packages it would install (nothing when present) and install nothing.
set -euo pipefail

font=/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf
if [[ -x "${PSM_CHROMIUM:-/usr/bin/chromium}" && -f "$font" ]]; then
  exit 0
fi
if [[ "${1:-}" == --plan ]]; then
  [[ -x "${PSM_CHROMIUM:-/usr/bin/chromium}" ]] ||
    echo "chromium     the browser the console's tests drive headless (Playwright)"
  [[ -f "$font" ]] || echo "fonts-dejavu-core  the font of printed certificates (console)"
  exit 0
fi
echo "installing Chromium and DejaVu fonts (Debian packages chromium, fonts-dejavu-core) …"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
