#!/usr/bin/env bash
# Debian's nginx, for the two-web-node benchmark (bench/bench_nodes.py) and the check of
# deploy/nginx-opendmc.conf (tests/deploy/test_nginx.py). Installs the package only: the bench
# writes its own loopback configuration from the deploy file and runs nginx in the foreground
# of its own prefix; the package's own service is not started.
#   bash scripts/nginx.sh install
set -euo pipefail

install() {
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] && return 0
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "nginx is not installed: apt-get install nginx (as root)" >&2
    exit 1
  fi
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "Installing system packages: nginx"
  $sudo apt-get update -qq
  # policy-rc.d: do not start the package's own nginx on port 80 while installing.
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nginx || {
    $sudo rm -f /usr/sbin/policy-rc.d; exit 1; }
  $sudo rm -f /usr/sbin/policy-rc.d
}

case "${1:-install}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
