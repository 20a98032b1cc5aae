#!/usr/bin/env bash
# Runs the release binary built by `cargo leptos build --release`. It finds target/site and
# hash.txt by itself; settings come from the environment, .env and Leptos.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
exec target/release/maruntime "$@"
