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
# Its log (-v) names the LEPTOS_* settings it gave cargo; the other parts' bundles are built
# with the same (scripts/build-page-bundles.sh), so they need not be copied by hand.
mkdir -p target/front
(browser_release_env && cargo leptos build -v --release --precompress --frontend-only --lib-features hydrate,page-public) 2>&1 |
  tee target/front/cargo-leptos.log
# "Cargo envs: LEPTOS_OUTPUT_NAME=maruntime LEPTOS_SITE_ROOT=target/site …", in colour. A
# build with nothing to do prints none: the settings of the last one stay.
envs=$(sed 's/\x1b\[[0-9;]*m//g' target/front/cargo-leptos.log | sed -n 's/.*Cargo envs: //p' | tail -n1)
if [ -n "$envs" ]; then
  # NAME=value pairs split at spaces: a value with a space (RUSTFLAGS, which a release build
  # does not get) would not survive that, so it stops the build instead.
  if tr ' ' '\n' <<<"$envs" | grep -qv '='; then
    echo "cargo-leptos set a variable whose value has a space: $envs" >&2
    exit 1
  fi
  tr ' ' '\n' <<<"$envs" >target/front/leptos-envs.txt
fi
cargo leptos build --release --server-only
# Each part of the site's own bundle (src/page_bundle.rs), named for the server.
scripts/build-page-bundles.sh
# cargo-leptos writes its gzip copies with a weaker deflate than gzip -9 (1,195 KB against
# 1,022 KB for the WASM): a client that takes gzip but not brotli gets the smaller file.
find target/site -type f ! -name '*.gz' ! -name '*.br' -exec sh -c 'gzip -9 -n -c "$1" > "$1.gz"' _ {} \;
scripts/weight.sh
