#!/usr/bin/env bash
# Prove that the runtime requirements alone run production (CI, and `make runtime-check`).
#
# The test venv has more packages than production (pytest brings some), so it can hide a missing
# pin: kombu's Redis transport once imported `packaging`, which only the test venv had, and every
# production worker failed to start. This builds a fresh venv with `make install` (requirements.txt
# only, hash-checked), then, with the production settings against the real PostgreSQL and Redis:
# migrate, `check --deploy`, collectstatic, a password hashed with Argon2id (argon2-cffi); gunicorn
# must answer 200 on /healthz/ (database and broker); a real Celery worker on each production
# queue (the default queue and the annexes' queue, as deploy/ runs them) must answer a ping, and the
# annex task must route to its queue.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=$(command -v python3.11 || command -v python3)
PG=${RUNTIME_CHECK_PG:-postgres://postgres@127.0.0.1:5432}
DB=${RUNTIME_CHECK_DB:-opendmc_runtime_check}  # dropped and created anew: one per checkout
BROKER=${RUNTIME_CHECK_BROKER:-redis://127.0.0.1:6379/8}
PORT=${RUNTIME_CHECK_PORT:-8391}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/opendmc-runtime.XXXXXX")
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "runtime-check: FAILED: $*" >&2
  for log in "$WORK"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -40 "$log" >&2; }; done
  exit 1
}

echo "== runtime-check: make install into a fresh venv (requirements.txt only) =="
make --no-print-directory install VENV="$WORK/venv" PYTHON="$PYTHON" >"$WORK/install.log" 2>&1 \
  || fail "make install"
"$WORK/venv/bin/pip" check >"$WORK/pip-check.log" 2>&1 || fail "pip check"
if "$WORK/venv/bin/python" -c "import pytest" 2>/dev/null; then fail "pytest in the runtime venv"; fi

export DJANGO_SETTINGS_MODULE=config.settings.production
export DJANGO_SECRET_KEY="runtime-check-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DATABASE_URL="$PG/$DB"
export CELERY_BROKER_URL="$BROKER"
export OPENDMC_VAR_DIR="$WORK/var" MEDIA_ROOT="$WORK/var/media" SIGNING_DIR="$WORK/var/keys"
export STATIC_ROOT="$WORK/static" VERIFY_BASE_URL="http://127.0.0.1:$PORT"
export EMAIL_URL="consolemail://"
PY="$WORK/venv/bin/python"

"$PY" - <<EOF || fail "recreate the database $DB"
import psycopg
with psycopg.connect("$PG/postgres", autocommit=True) as c:
    c.execute('DROP DATABASE IF EXISTS "$DB" WITH (FORCE)')
    c.execute('CREATE DATABASE "$DB"')
EOF

echo "== runtime-check: migrate, check --deploy, collectstatic (production settings) =="
"$PY" manage.py migrate --noinput >"$WORK/migrate.log" 2>&1 || fail "migrate"
"$PY" manage.py check --deploy --fail-level WARNING >"$WORK/check.log" 2>&1 || fail "check --deploy"
"$PY" manage.py collectstatic --noinput >"$WORK/static.log" 2>&1 || fail "collectstatic"
# The password hasher's library (argon2-cffi) is loaded only at the first login: hash one now.
hash=$("$PY" -c "
import django; django.setup()
from django.contrib.auth.hashers import make_password
print(make_password('runtime-check'))" 2>"$WORK/hash.log") || fail "make_password"
[[ $hash == 'argon2$argon2id$v=19$m=19456,t=2,p=1$'* ]] || fail "a password hashed as '${hash%%\$*}…'"
echo "a password hashed: ${hash%\$*\$*}\$…"

echo "== runtime-check: gunicorn, and a Celery worker on each production queue =="
"$WORK/venv/bin/gunicorn" config.wsgi --bind "127.0.0.1:$PORT" --workers 1 \
  >"$WORK/gunicorn.log" 2>&1 &
PIDS+=($!)
"$WORK/venv/bin/celery" -A config worker --queues celery --hostname "default@runtime-check" \
  --concurrency 1 --loglevel INFO >"$WORK/worker-default.log" 2>&1 &
PIDS+=($!)
"$WORK/venv/bin/celery" -A config worker --queues annexes --hostname "annexes@runtime-check" \
  --concurrency 1 --loglevel INFO >"$WORK/worker-annexes.log" 2>&1 &
PIDS+=($!)

health=""
for _ in $(seq 60); do
  health=$(curl -s -o "$WORK/health.json" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz/" || true)
  # 200 while the database answers; every part must say "ok" (the broker too).
  [ "$health" = 200 ] && ! grep -q '"error"' "$WORK/health.json" && break
  sleep 1
done
[ "$health" = 200 ] && ! grep -q '"error"' "$WORK/health.json" \
  || fail "/healthz/ answered ${health:-nothing}: $(cat "$WORK/health.json" 2>/dev/null)"
echo "/healthz/ 200 $(cat "$WORK/health.json")"

pongs=""
for _ in $(seq 30); do
  pongs=$("$WORK/venv/bin/celery" -A config inspect ping --timeout 2 2>/dev/null | grep -c 'pong' || true)
  [ "$pongs" = 2 ] && break
  sleep 1
done
[ "$pongs" = 2 ] || fail "expected a pong from 2 workers, got ${pongs:-0}"
queues=$("$WORK/venv/bin/celery" -A config inspect active_queues --json --timeout 5 2>/dev/null || true)
consumed=$("$PY" -c "
import json, sys
nodes = json.loads(sys.argv[1] or '{}')
print(' '.join(sorted(f'{node}:{q[\"name\"]}' for node, qs in nodes.items() for q in qs)))" "$queues")
[ "$consumed" = "annexes@runtime-check:annexes default@runtime-check:celery" ] \
  || fail "the workers consume '$consumed', not each its own queue"
route=$("$PY" -c "
import django; django.setup()
from config.celery import app
print(app.amqp.router.route({}, 'documents.tasks.render_annex')['queue'].name)")
[ "$route" = annexes ] || fail "documents.tasks.render_annex routes to '$route', not 'annexes'"
echo "pong from default@runtime-check and annexes@runtime-check; render_annex → annexes"
echo "runtime-check: ok"
