#!/usr/bin/env bash
# Install the few system libraries OpenDMC needs (Pango and HarfBuzz for WeasyPrint), when missing.
set -euo pipefail
# shellcheck source=scripts/apt.sh
source "$(dirname "$0")/apt.sh"
missing=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz.so' || missing+=(libharfbuzz0b)
# WeasyPrint subsets the embedded fonts with HarfBuzz when it finds this library, and falls back to
# fontTools, about four times slower per record, when it does not (tests/documents/test_render.py).
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so' || missing+=(libharfbuzz-subset0)
[ ${#missing[@]} -eq 0 ] && exit 0
apt_install "${missing[@]}"
