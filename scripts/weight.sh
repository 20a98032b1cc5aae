#!/usr/bin/env bash
# What every page ships (the WASM, JS and CSS under target/site/pkg) after a release build:
# bytes raw, gzip at level 9, and the brotli file the build wrote beside each (what browsers
# get). The Playwright test `weight.spec.ts` fails when a page's gzip total is 400 KB or more.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=target/site/pkg
[ -d "$pkg" ] || { echo "no $pkg: run scripts/build-release.sh first" >&2; exit 1; }
printf '%-34s %10s %10s %10s\n' "file" "raw" "gzip -9" "brotli"
total_raw=0; total_gz=0; total_br=0
for f in "$pkg"/*.wasm "$pkg"/*.js "$pkg"/*.css; do
  [ -f "$f" ] || continue
  raw=$(stat -c %s "$f")
  gz=$(gzip -9c "$f" | wc -c)
  br=$([ -f "$f.br" ] && stat -c %s "$f.br" || echo 0)
  printf '%-34s %10d %10d %10d\n' "$(basename "$f")" "$raw" "$gz" "$br"
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)); total_br=$((total_br + br))
done
printf '%-34s %10d %10d %10d\n' "total (bytes)" "$total_raw" "$total_gz" "$total_br"
printf 'a page ships %.1f KB gzip -9 (%.1f KB raw, %.1f KB brotli); the limit is 400 KB gzip\n' \
  "$(echo "$total_gz/1000" | bc -l)" "$(echo "$total_raw/1000" | bc -l)" "$(echo "$total_br/1000" | bc -l)"
