#!/usr/bin/env bash
# The release build: server binary (target/release/maruntime) and web UI (target/site), with a
# brotli and a gzip copy of every static file written once, beside it (--precompress), so the
# server never compresses them per request. Then prints what a page ships (scripts/weight.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo leptos build --release --precompress
scripts/weight.sh
