#!/usr/bin/env bash
# Install Debian's Chromium, a Thai font, poppler-utils (pdftotext/pdftoppm read the signed
# records) and npm for the browser tests, when missing, then fetch the pinned axe-core (the
# accessibility checks) into .cache/axe-core/. The Playwright Python package drives this
# Chromium: Playwright never downloads a browser of its own.
set -euo pipefail
# shellcheck source=scripts/apt.sh
source "$(dirname "$0")/apt.sh"
cd "$(dirname "$0")/.."
AXE_VERSION=4.14.1
AXE_INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
AXE_DIR=.cache/axe-core/$AXE_VERSION

fetch_axe() {
  # npm pack checks the tarball against the registry's integrity; it is checked here again
  # against the pinned one, so a changed package is refused. The tests read only axe.min.js.
  [ -f "$AXE_DIR/axe.min.js" ] && return 0
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null)
  local got
  got=$(node -e 'const c = require("crypto"), fs = require("fs");
    process.stdout.write("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"))' \
    "$tmp/axe-core-$AXE_VERSION.tgz")
  if [ "$got" != "$AXE_INTEGRITY" ]; then
    echo "axe-core $AXE_VERSION: integrity $got, expected $AXE_INTEGRITY" >&2
    rm -rf "$tmp"
    exit 1
  fi
  mkdir -p "$AXE_DIR"
  tar -xzf "$tmp/axe-core-$AXE_VERSION.tgz" -C "$tmp" package/axe.min.js package/LICENSE
  mv "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$AXE_DIR/"
  rm -rf "$tmp"
}

missing=()
command -v npm >/dev/null || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || missing+=(poppler-utils)
fc-list 2>/dev/null | grep -qi 'thai\|sarabun\|tlwg' || missing+=(fonts-tlwg-loma-otf)
[ ${#missing[@]} -eq 0 ] && { fetch_axe; exit 0; }
apt_install --no-recommends "${missing[@]}"
fetch_axe
