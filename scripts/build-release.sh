#!/usr/bin/env bash
# The release build: server binary (target/release/maruntime) and web UI (target/site: a
# browser bundle per part of the site), with a
# brotli and a gzip copy of every static file written once, beside it (--precompress), so the
# server never compresses them per request. Then prints what a page ships (scripts/weight.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# cargo-leptos's own bundle holds the public pages alone (there is no bundle with every page
# in a release build: no page would load it); it also builds the stylesheet. Then the server,
# without the browser build's environment.
(browser_release_env && cargo leptos build --release --precompress --frontend-only --lib-features hydrate,page-public)
cargo leptos build --release --server-only
# Each part of the site's own bundle (src/page_bundle.rs), named for the server.
scripts/build-page-bundles.sh
# cargo-leptos writes its gzip copies with a weaker deflate than gzip -9 (1,195 KB against
# 1,022 KB for the WASM): a client that takes gzip but not brotli gets the smaller file.
find target/site -type f ! -name '*.gz' ! -name '*.br' -exec sh -c 'gzip -9 -n -c "$1" > "$1.gz"' _ {} \;
scripts/weight.sh
