#!/usr/bin/env bash
# Runs maruntime in development mode with live reload at http://127.0.0.1:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
source scripts/env.sh
# A release build's list of per-part bundles (scripts/build-page-bundles.sh) would make pages
# name its bundles, not the one this watch rebuilds: development loads the bundle with every page.
rm -f target/site/pkg/page-bundles.txt
# File names without hashes: cargo-leptos 0.3.10 hashes them on its first build only, so with
# hashes a page would go on loading the first build's WASM and stylesheet after every edit.
export LEPTOS_HASH_FILES=false
exec cargo leptos watch "$@"
