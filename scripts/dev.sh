#!/usr/bin/env bash
# Runs maruntime in development mode with live reload at http://127.0.0.1:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
source scripts/env.sh
exec cargo leptos watch "$@"
