#!/usr/bin/env bash
# Install the few system libraries OpenDMC needs (Pango for WeasyPrint), when they are missing.
set -euo pipefail
missing=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz.so' || missing+=(libharfbuzz0b)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "OpenDMC needs these system packages: ${missing[*]} (install them as root)" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "Installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
