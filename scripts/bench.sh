#!/usr/bin/env bash
# Measures the figures in the closing notes against the release build, with a fresh SQLite
# database: start-up time, idle memory, release WASM size, and the load benchmarks.
# Usage: scripts/bench.sh [auth|chats|flood|agent|memory|all]   (needs `cargo leptos build --release` first)
#        memory: RSS at start, after 100 logins, after 1,000 requests of each kind
#        scripts/bench.sh static   (server CPU per WASM download, gzip and brotli; requests/s for a
#        public file and GET /auth/me at 64 connections, with wrk)
#        scripts/bench.sh search [--corpus zipf|uniform] [--chats N --per-chat M]   (history
#        search, in process and over HTTP; set DATABASE_URL=postgres://… for PostgreSQL)
#        scripts/bench.sh admin [--accounts N]   (GET /admin/users with 10,000 accounts, in
#        process over HTTP; DATABASE_URL as for search)
#        scripts/bench.sh processes   (two processes on PostgreSQL behind nginx: completions/s,
#        answers lost when one is killed; see scripts/bench-processes.sh)
#        scripts/bench.sh append   (appends into a chat of 5,000 messages and into new chats,
#        in process; DATABASE_URL as for search)
#        scripts/bench.sh import [--conversations N] [--keep FILE]   (a generated 200 MB
#        ChatGPT export through POST /v1/imports: time, peak memory, then search p95;
#        DATABASE_URL as for search)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
what="${1:-all}"
if [ "$what" = search ]; then
  shift
  cargo build --release --example search_bench --features ssr -q
  exec target/release/examples/search_bench "$@"
fi
if [ "$what" = admin ]; then
  shift
  cargo build --release --example admin_bench --features ssr -q
  exec target/release/examples/admin_bench "$@"
fi
if [ "$what" = processes ]; then
  cargo build --release --example bench --features ssr -q
  exec scripts/bench-processes.sh
fi
if [ "$what" = import ]; then
  shift
  cargo build --release --example import_bench --features ssr -q
  exec target/release/examples/import_bench "$@"
fi
if [ "$what" = append ]; then
  cargo build --release --example append_bench --features ssr -q
  exec target/release/examples/append_bench
fi
port=3300
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT

cargo build --release --example bench --features ssr -q

# An idle server's memory is mostly the binary's code, mapped by the kernel in 64 KB blocks
# around each page it ran; how many depends on how the file sits in the page cache (written by
# the linker, copied, read before), by a megabyte or more. Evicting it first measures what a
# start after a reboot costs, the same every time.
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' \
  target/release/maruntime
start=$(date +%s%N)
LEPTOS_SITE_ADDR=127.0.0.1:$port DATABASE_URL="sqlite://$data/db.sqlite" MARUNTIME_MEMORY_DIR="$data/memory" \
  MARUNTIME_REGISTER_LIMIT=100000 MARUNTIME_LOGIN_LIMIT=100000 RUST_LOG=error \
  MARUNTIME_RUNS_PER_USER=64 MARUNTIME_RUNS_TOTAL=128 \
  MARUNTIME_LLM_BASE_URL=http://127.0.0.1:3302/v1 MARUNTIME_LLM_MODEL=instant \
  scripts/serve-release.sh &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.005; done
end=$(date +%s%N)
echo "start to first /healthz answer: $(( (end - start) / 1000000 )) ms"
sleep 1
echo "idle server RSS: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status)"

wasm=$(ls target/site/pkg/*.wasm | head -n1)
echo "release WASM: $(stat -c %s "$wasm" | awk '{printf "%.0f KiB", $1/1024}') raw, $(gzip -9c "$wasm" | wc -c | awk '{printf "%.0f KiB", $1/1024}') gzip"

# The server may not share the benchmark client's process: it gets its own.
bench() { target/release/examples/bench --url "http://127.0.0.1:$port" --pid "$pid" "$1"; }
case "$what" in
  auth|chats|flood) bench "$what" ;;
  memory) bench memory ;;
  static) scripts/bench-static.sh "http://127.0.0.1:$port" "$pid" ;;
  agent)
    target/release/examples/bench --url "http://127.0.0.1:$port" --pid "$pid" llm &
    llm=$!
    trap 'kill "$pid" "$llm" 2>/dev/null || true; rm -rf "$data"' EXIT
    until curl -s -o /dev/null http://127.0.0.1:3302/; do sleep 0.05; done
    out=$(bench agent | tee /dev/stderr)
    key=$(printf '%s\n' "$out" | awk '/^API key: / {print $3}')
    # Completions per second at 32 connections with a C load generator (wrk), each answered
    # after its reply is stored; then the stored answers are counted against the acknowledged.
    if ! command -v wrk >/dev/null; then
      echo "[bench] installing wrk (Debian package)"
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      $SUDO apt-get install -y -qq wrk
    fi
    stored_before=$(python3 -c "import sqlite3; c=sqlite3.connect('$data/db.sqlite'); print(c.execute(\"select count(*) from messages where role='assistant'\").fetchone()[0])")
    wrk -t2 -c32 -d10s --latency -s scripts/wrk-completion.lua -H "Authorization: Bearer $key" \
      "http://127.0.0.1:$port/v1/chat/completions" | tee "$data/wrk.txt"
    sleep 1
    stored_after=$(python3 -c "import sqlite3; c=sqlite3.connect('$data/db.sqlite'); print(c.execute(\"select count(*) from messages where role='assistant'\").fetchone()[0])")
    total=$(awk '/requests in/ {print $1}' "$data/wrk.txt")
    failed=$(awk '/Non-2xx/ {print $NF}' "$data/wrk.txt"); failed=${failed:-0}
    echo "wrk: $((total - failed)) completions acknowledged with 200, $failed refused; answers stored meanwhile: $((stored_after - stored_before))" ;;
  all) bench auth; bench chats ;;
esac
