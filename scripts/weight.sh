#!/usr/bin/env bash
# What each page ships after a release build: its part's bundle (the WASM and JS glue,
# src/page_bundle.rs) and the stylesheet, raw, gzip at level 9, and the brotli file the build
# wrote beside each (what browsers get). Without a list of parts (a development build), the
# one bundle with every page. The goal is under 400 KB gzip.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=target/site/pkg
list="$pkg/page-bundles.txt"
[ -d "$pkg" ] || { echo "no $pkg: run scripts/build-release.sh first" >&2; exit 1; }
css=$(ls "$pkg"/*.css | head -n1)
printf '%-10s %-40s %10s %10s %10s\n' "part" "file" "raw" "gzip -9" "brotli"
show() {  # show PART FILE...: one line per file, then the part's total
  local part=$1; shift
  local total_raw=0 total_gz=0 total_br=0
  for f in "$@"; do
    raw=$(stat -c %s "$f")
    gz=$(gzip -9c "$f" | wc -c)
    br=$([ -f "$f.br" ] && stat -c %s "$f.br" || echo 0)
    printf '%-10s %-40s %10d %10d %10d\n' "$part" "$(basename "$f")" "$raw" "$gz" "$br"
    total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)); total_br=$((total_br + br))
  done
  printf '%-10s %-40s %10d %10d %10d   = %.1f KB gzip -9\n' "$part" "(a page ships)" \
    "$total_raw" "$total_gz" "$total_br" "$(echo "$total_gz/1000" | bc -l)"
}
if [ -f "$list" ]; then
  while read -r part name; do
    show "$part" "$pkg/$name.wasm" "$pkg/$name.js" "$css"
  done < "$list"
else
  echo "(no $list: every page ships cargo-leptos's bundle, with every page)"
  show "all pages" $(ls "$pkg"/maruntime*.wasm "$pkg"/maruntime*.js) "$css"
fi
