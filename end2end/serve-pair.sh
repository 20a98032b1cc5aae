#!/usr/bin/env bash
# Two release servers on one fresh PostgreSQL database and one memory directory, for the
# browser test of several processes. Usage: serve-pair.sh PORT_A PORT_B (ready when B
# answers /healthz). Needs MARUNTIME_TEST_POSTGRES_URL; the database goes when it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
admin="$MARUNTIME_TEST_POSTGRES_URL"
db="maruntime_e2e_pair_$$"
data=$(mktemp -d)
# Playwright may end this script without running its traps: pairs left by earlier runs go.
for old in $(psql "$admin" -tAc "select datname from pg_database where datname like 'maruntime_e2e_pair_%'"); do
  psql "$admin" -qc "drop database if exists $old with (force)" >/dev/null
done
psql "$admin" -qc "create database $db" >/dev/null
url="${admin%/*}/$db"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  psql "$admin" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 0' TERM INT
export DATABASE_URL="$url" MARUNTIME_MEMORY_DIR="$data/memory"
LEPTOS_SITE_ADDR="127.0.0.1:$1" target/release/maruntime &
LEPTOS_SITE_ADDR="127.0.0.1:$2" target/release/maruntime &
wait
