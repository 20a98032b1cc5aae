#!/usr/bin/env bash
# Runs the release binary built by `cargo leptos build --release`, with the settings that
# cargo-leptos would otherwise pass. Other settings come from the environment, .env and Leptos.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
export LEPTOS_OUTPUT_NAME=maruntime
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_HASH_FILES=true
export LEPTOS_ENV=PROD
exec target/release/maruntime "$@"
