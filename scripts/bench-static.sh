#!/usr/bin/env bash
# Static files against a running release server (started by `scripts/bench.sh static`):
# the server's CPU time per download of the WASM, asked for with brotli and with gzip, and
# requests/s for a public file (/favicon.svg) and for an authenticated GET /auth/me at 64
# connections (wrk). Usage: scripts/bench-static.sh URL SERVER_PID
set -euo pipefail
url=$1; pid=$2
if ! command -v wrk >/dev/null; then
  echo "[bench] installing wrk (Debian package)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq wrk
fi
ticks=$(getconf CLK_TCK)
# utime + stime of the server process, in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
wasm_path=$(curl -sf "$url/login" | grep -o '/pkg/[^"]*\.wasm' | head -n1)
[ -n "$wasm_path" ] || { echo "no WASM link in /login" >&2; exit 1; }
n=40
for enc in br gzip identity; do
  curl -s -o /dev/null -H "Accept-Encoding: $enc" "$url$wasm_path"   # warm the page cache
  before=$(cpu)
  bytes=0
  for _ in $(seq 1 $n); do
    b=$(curl -s -o /dev/null -w '%{size_download}' -H "Accept-Encoding: $enc" "$url$wasm_path")
    bytes=$b
  done
  after=$(cpu)
  awk -v t=$((after - before)) -v hz="$ticks" -v n=$n -v enc="$enc" -v b="$bytes" \
    'BEGIN { printf "WASM (%s): %d bytes sent, server CPU %.2f ms per download (%d downloads)\n", enc, b, t * 1000 / hz / n, n }'
done

login="static$(date +%s%N)"
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
curl -sf -c "$jar" -H 'Content-Type: application/json' -H "Origin: $url" \
  -d "{\"login\":\"$login\",\"password\":\"plum-orbit-sailcloth-42\",\"display_name\":\"Static\"}" \
  "$url/auth/register" >/dev/null
cookie=$(awk '$6 ~ /session/ {print $6"="$7}' "$jar" | head -n1)
for path in /favicon.svg /auth/me; do
  echo "wrk -t2 -c64 -d10s $path"
  wrk -t2 -c64 -d10s --latency -H 'Accept-Encoding: gzip, deflate, br' -H "Cookie: $cookie" "$url$path" \
    | awk '/Requests\/sec|99%|50%|Non-2xx/'
done
