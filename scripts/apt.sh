# Sourced by the install scripts (system-deps, e2e-deps, nginx, pgbouncer):
#   apt_install [--no-start] [--no-recommends] PACKAGE...
# installs Debian packages as root, or through sudo; without either it says what to install and
# fails. --no-start keeps a package's own service from starting while it installs (policy-rc.d):
# nginx would take port 80.
apt_install() {
  local no_start="" recommends=()
  while [ "${1:-}" = "--no-start" ] || [ "${1:-}" = "--no-recommends" ]; do
    [ "$1" = "--no-start" ] && no_start=1 || recommends=(--no-install-recommends)
    shift
  done
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "OpenDMC needs these system packages: $* (apt-get install $*, as root)" >&2
    return 1
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "Installing system packages: $*"
  $sudo apt-get update -qq
  if [ -n "$no_start" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
  fi
  local status=0
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${recommends[@]}" "$@" || status=$?
  [ -z "$no_start" ] || $sudo rm -f /usr/sbin/policy-rc.d
  return "$status"
}
