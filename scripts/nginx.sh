#!/usr/bin/env bash
# Debian's nginx, for the two-web-node benchmark (bench/bench_nodes.py) and the check of
# deploy/nginx-opendmc.conf (tests/deploy/test_nginx.py). Installs the package only: the bench
# writes its own loopback configuration from the deploy file and runs nginx in the foreground
# of its own prefix; the package's own service is not started.
#   bash scripts/nginx.sh install
set -euo pipefail
# shellcheck source=scripts/apt.sh
source "$(dirname "$0")/apt.sh"

install() {
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] && return 0
  apt_install --no-start --no-recommends nginx
}

case "${1:-install}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
