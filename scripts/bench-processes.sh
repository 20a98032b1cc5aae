#!/usr/bin/env bash
# Two maruntime processes on one PostgreSQL database behind nginx (README, "Running several
# instances"): completions per second at 32 connections through one process and through the
# two, then one of the two killed with SIGKILL under load, counting acknowledged answers that
# are not stored (must be 0). Run by `scripts/bench.sh processes` after
# `cargo leptos build --release`; needs PostgreSQL (MARUNTIME_BENCH_POSTGRES, default
# postgres://postgres@127.0.0.1:5432) and installs wrk and nginx from Debian when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
pg=${MARUNTIME_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
    echo "[bench] installing $tool (Debian package)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -qq "$tool"
  fi
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
db="maruntime_bench_$$"
data=$(mktemp -d)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  psql "$pg/postgres" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT
psql "$pg/postgres" -qc "create database $db" >/dev/null
url="$pg/$db"

target/release/examples/bench llm &
pids+=($!)
start() {
  LEPTOS_SITE_ADDR=127.0.0.1:$1 DATABASE_URL="$url" MARUNTIME_MEMORY_DIR="$data/memory" \
    MARUNTIME_COOKIE_SECURE=false RUST_LOG=error MARUNTIME_TRUSTED_PROXIES=127.0.0.1 \
    MARUNTIME_RUNS_PER_USER=64 MARUNTIME_RUNS_TOTAL=128 MARUNTIME_REGISTER_LIMIT=1000 \
    MARUNTIME_LLM_BASE_URL=http://127.0.0.1:3302/v1 MARUNTIME_LLM_MODEL=instant \
    target/release/maruntime &
  pids+=($!)
  echo $! > "$data/pid-$1"
  until curl -sf "http://127.0.0.1:$1/healthz" >/dev/null; do sleep 0.05; done
}
start 3311
start 3312
cat > "$data/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $data/nginx.pid;
error_log $data/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream maruntime { server 127.0.0.1:3311; server 127.0.0.1:3312; keepalive 64; }
  server {
    listen 127.0.0.1:3310;
    location / {
      proxy_pass http://maruntime;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_buffering off;
      proxy_read_timeout 600s;
    }
  }
}
CONF
"$nginx_bin" -c "$data/nginx.conf" -p "$data" &
pids+=($!)
until curl -sf "http://127.0.0.1:3310/healthz" >/dev/null; do sleep 0.05; done

jar="$data/cookies"
curl -sf -c "$jar" -H 'content-type: application/json' -H 'origin: http://127.0.0.1:3311' \
  -d '{"login":"procbench","password":"plum-orbit-sailcloth-42","display_name":"Bench"}' \
  http://127.0.0.1:3311/auth/register >/dev/null
key=$(curl -sf -b "$jar" -H 'content-type: application/json' -H 'origin: http://127.0.0.1:3311' \
  -d '{"name":"bench","password":"plum-orbit-sailcloth-42"}' http://127.0.0.1:3311/auth/api-keys |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
stored() { psql "$url" -tAc "select count(*) from messages where role = 'assistant'"; }
run_wrk() { # $1 port, $2 seconds
  wrk -t2 -c32 -d"$2"s -s scripts/wrk-completion.lua -H "Authorization: Bearer $key" \
    "http://127.0.0.1:$1/v1/chat/completions" > "$data/wrk.txt" 2>&1
  rps=$(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt")
  total=$(awk '/requests in/ {print $1}' "$data/wrk.txt")
  failed=$(awk '/Non-2xx/ {print $NF}' "$data/wrk.txt"); failed=${failed:-0}
  errors=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$data/wrk.txt"); errors=${errors:-0}
}
run_wrk 3311 10
echo "one process, 32 connections: $rps completions/s"
run_wrk 3310 10
echo "two processes behind nginx, 32 connections: $rps completions/s"

before=$(stored)
(sleep 3; kill -9 "$(cat "$data/pid-3312")") &
run_wrk 3310 10
sleep 1
after=$(stored)
acknowledged=$((total - failed))
echo "SIGKILL of one process 3 s into 10 s of load: $acknowledged answers acknowledged with 200, $failed refused or failed (non-2xx), $errors socket errors; answers stored meanwhile: $((after - before)); acknowledged but not stored: $((acknowledged > after - before ? acknowledged - (after - before) : 0))"
