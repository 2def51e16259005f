#!/usr/bin/env bash
# A streaming replica of the local PostgreSQL cluster on loopback, with Debian's own tools:
#   scripts/replica.sh start    make (first time: pg_createcluster + pg_basebackup -R) and start it
#   scripts/replica.sh stop     stop it (its data stays: the next start streams what it missed)
#   scripts/replica.sh status   "streaming", "stopped" or "absent"; exit status 0 only when streaming
#   scripts/replica.sh remove   stop it and delete the cluster
# The primary is the cluster "main" of the installed major version on 127.0.0.1:5432; the replica is
# the cluster "replica" on REPLICA_PORT (5433). The primary is never restarted: the script adds a
# `host replication` line to its pg_hba.conf and reloads it (idempotent), and refuses to go on when a
# setting that needs a restart (wal_level, max_wal_senders) is not already right.
set -euo pipefail

VERSION=${PG_VERSION:-$(pg_lsclusters -h | awk '$2 == "main" {print $1; exit}')}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORT=${REPLICA_PORT:-5433}
CLUSTER=${REPLICA_CLUSTER:-replica}
DATA=/var/lib/postgresql/$VERSION/$CLUSTER
HBA=/etc/postgresql/$VERSION/main/pg_hba.conf
HBA_LINE="host replication all 127.0.0.1/32 trust  # OpenDMC: scripts/replica.sh"

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
primary() { psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -XAtqc "$1"; }
replica() { psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres -XAtqc "$1"; }
exists() { [ -f "/etc/postgresql/$VERSION/$CLUSTER/postgresql.conf" ]; }
streaming() {
  [ "$(replica "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')" 2>/dev/null)" = t ]
}

prepare_primary() {
  local wal_level senders
  wal_level=$(primary "SHOW wal_level")
  senders=$(primary "SHOW max_wal_senders")
  if [ "$wal_level" = minimal ] || [ "$senders" -lt 2 ]; then
    echo "The primary has wal_level=$wal_level and max_wal_senders=$senders: a replica needs" \
      "wal_level=replica and max_wal_senders>=2, which take a restart; this script never restarts it." >&2
    exit 1
  fi
  if ! grep -qE '^\s*host\s+replication\s+all\s+127\.0\.0\.1/32\s+trust' "$HBA"; then
    echo "$HBA_LINE" >>"$HBA"
    pg_ctlcluster "$VERSION" main reload   # a reload, not a restart: sessions stay connected
  fi
}

create() {
  echo "Creating the replica: cluster $VERSION/$CLUSTER on port $REPLICA_PORT, a copy of port $PRIMARY_PORT"
  pg_createcluster "$VERSION" "$CLUSTER" -p "$REPLICA_PORT" >/dev/null
  # Debian's cluster keeps its configuration in /etc; its data directory is replaced by the copy.
  as_postgres find "$DATA" -mindepth 1 -delete
  # -R writes primary_conninfo and standby.signal: the copy starts as a hot standby of the primary.
  as_postgres pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DATA" -R -X stream -c fast
  cat >"/etc/postgresql/$VERSION/$CLUSTER/conf.d/90-opendmc-replica.conf" <<EOF
# OpenDMC's loopback replica (scripts/replica.sh)
listen_addresses = '127.0.0.1'
port = $REPLICA_PORT
hot_standby = on
# A report query that holds up replay is cancelled after this long, so the copy never falls far behind.
max_standby_streaming_delay = 30s
EOF
  # Trust on loopback, as the primary here: the tests and the web connect without a password.
  cat >"/etc/postgresql/$VERSION/$CLUSTER/pg_hba.conf" <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
}

start() {
  prepare_primary
  exists || create
  if ! pg_isready -q -h 127.0.0.1 -p "$REPLICA_PORT"; then
    pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" start
  fi
  for _ in $(seq 60); do streaming && break; sleep 1; done
  if ! streaming; then
    # It missed more than the primary still keeps (no replication slot, on purpose: a replica left
    # stopped must never fill the primary's disk): make it again from a fresh copy.
    echo "The replica does not stream; making it again from a fresh copy" >&2
    remove
    create
    pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" start
    for _ in $(seq 60); do streaming && break; sleep 1; done
  fi
  streaming || { echo "The replica on port $REPLICA_PORT does not stream" >&2; exit 1; }
  echo "Replica streaming on 127.0.0.1:$REPLICA_PORT (DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/<database>)"
}

stop() {
  exists || return 0
  if pg_isready -q -h 127.0.0.1 -p "$REPLICA_PORT"; then
    pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" stop -m fast
  fi
}

remove() {
  exists || return 0
  stop
  pg_dropcluster "$VERSION" "$CLUSTER"
}

status() {
  if ! exists; then echo absent; return 1; fi
  if streaming; then echo streaming; return 0; fi
  echo stopped
  return 1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  remove) remove ;;
  *) echo "usage: $0 start|stop|status|remove" >&2; exit 2 ;;
esac
