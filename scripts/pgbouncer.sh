#!/usr/bin/env bash
# PgBouncer in transaction mode in front of the local PostgreSQL, on loopback (a CI and development
# tool, not a runtime dependency: production installs its own, see the README's production section):
#   scripts/pgbouncer.sh start    install Debian's pgbouncer when missing, write its files, start it
#   scripts/pgbouncer.sh stop     stop it
#   scripts/pgbouncer.sh status   "running" or "stopped"; exit status 0 only when it answers
# Every database of the primary is reachable through it ("* = host=127.0.0.1 port=5432"), so
# pytest-django's test_* databases too: they are created and dropped through it. Django then needs
# DATABASE_POOLER=pgbouncer (config/settings/base.py) and DATABASE_URL on PGBOUNCER_PORT (6432).
set -euo pipefail
# shellcheck source=scripts/apt.sh
source "$(dirname "$0")/apt.sh"

PORT=${PGBOUNCER_PORT:-6432}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
DIR=${PGBOUNCER_DIR:-/tmp/opendmc-pgbouncer-$PORT}
# A test run opens a connection per pytest process and per thread of its concurrency tests; each
# holds a server connection only for the length of a transaction.
POOL_SIZE=${PGBOUNCER_POOL_SIZE:-20}

answers() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d pgbouncer -XAtqc "SHOW VERSION" >/dev/null 2>&1; }

install() {
  command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] && return 0
  apt_install --no-recommends pgbouncer
}

configure() {
  mkdir -p "$DIR"
  # Trust on loopback, as the PostgreSQL behind it: the user must still be listed.
  echo '"postgres" ""' >"$DIR/userlist.txt"
  cat >"$DIR/pgbouncer.ini" <<EOF
; OpenDMC's loopback PgBouncer (scripts/pgbouncer.sh)
[databases]
* = host=127.0.0.1 port=$PRIMARY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = $POOL_SIZE
max_client_conn = 1000
; psycopg 2 sends it; harmless to ignore.
ignore_startup_parameters = extra_float_digits
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
EOF
  # PgBouncer refuses to run as root.
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$DIR"; fi
}

start() {
  install
  answers && { echo "PgBouncer already answers on 127.0.0.1:$PORT"; return 0; }
  configure
  local bin
  bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$bin" -d "$DIR/pgbouncer.ini"
  else
    "$bin" -d "$DIR/pgbouncer.ini"
  fi
  for _ in $(seq 30); do answers && break; sleep 0.5; done
  answers || { echo "PgBouncer did not start: see $DIR/pgbouncer.log" >&2; exit 1; }
  echo "PgBouncer (transaction mode) on 127.0.0.1:$PORT in front of 127.0.0.1:$PRIMARY_PORT"
}

stop() {
  [ -f "$DIR/pgbouncer.pid" ] || return 0
  local pid
  pid=$(cat "$DIR/pgbouncer.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid"   # SIGINT: a fast shutdown, every client disconnected
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$DIR/pgbouncer.pid"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) if answers; then echo running; else echo stopped; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
