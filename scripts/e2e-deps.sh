#!/usr/bin/env bash
# Install Debian's Chromium, a Thai font and poppler-utils (pdftotext/pdftoppm read the signed
# records) for the browser tests, when missing. The Playwright Python package drives this
# Chromium: Playwright never downloads a browser of its own.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || missing+=(poppler-utils)
fc-list 2>/dev/null | grep -qi 'thai\|sarabun\|tlwg' || missing+=(fonts-tlwg-loma-otf)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "The browser tests need these system packages: ${missing[*]} (install them as root)" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "Installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
