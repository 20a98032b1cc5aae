#!/usr/bin/env bash
# Runs maruntime in development mode with live reload at http://127.0.0.1:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
source scripts/env.sh
# A release build's list of per-part bundles (scripts/build-page-bundles.sh) would make pages
# name its bundles, not the one this watch rebuilds: development loads the bundle with every page.
rm -f target/site/pkg/page-bundles.txt
exec cargo leptos watch "$@"
