#!/usr/bin/env bash
# The release build: server binary (target/release/maruntime) and web UI (target/site: a
# browser bundle per part of the site), with a
# brotli and a gzip copy of every static file written once, beside it (--precompress), so the
# server never compresses them per request. Then prints what a page ships (scripts/weight.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# The browser's bundles and the server build at the same time, in separate target directories
# (target/front and target/release): much of each is a single rustc on one core (a crate's front
# end, the WASM's link-time optimisation), so together they keep both cores busy. The
# browser's output is kept in a log and printed after.
mkdir -p target/front
browser_log=target/front/browser-build.log
(
  set -euo pipefail
  # The server is the longer of the two: the browser's build yields the cores to it.
  renice -n 10 -p "$BASHPID" >/dev/null
  # cargo-leptos's own bundle holds the public pages alone (there is no bundle with every page
  # in a release build: no page would load it); it also builds the stylesheet. Its log (-v)
  # names the LEPTOS_* settings it gave cargo; the other parts' bundles are built with the same
  # (scripts/build-page-bundles.sh), so they need not be copied by hand.
  browser_release_env
  cargo leptos build -v --release --precompress --frontend-only --lib-features hydrate,page-public \
    >target/front/cargo-leptos.log 2>&1 || { cat target/front/cargo-leptos.log; exit 1; }
  # "Cargo envs: LEPTOS_OUTPUT_NAME=maruntime LEPTOS_SITE_ROOT=target/site …", in colour. A
  # build with nothing to do prints none: the settings of the last one stay.
  envs=$(sed 's/\x1b\[[0-9;]*m//g' target/front/cargo-leptos.log | sed -n 's/.*Cargo envs: //p' | tail -n1)
  if [ -n "$envs" ]; then
    # NAME=value pairs split at spaces: a value with a space (RUSTFLAGS, which a release
    # build does not get) would not survive that, so it stops the build instead.
    if tr ' ' '\n' <<<"$envs" | grep -qv '='; then
      echo "cargo-leptos set a variable whose value has a space: $envs" >&2
      exit 1
    fi
    tr ' ' '\n' <<<"$envs" >target/front/leptos-envs.txt
  fi
  grep -E 'Finished|warning|error' target/front/cargo-leptos.log | sed 's/\x1b\[[0-9;]*m//g' || true
  # Each other part of the site's own bundle (src/page_bundle.rs), named for the server.
  scripts/build-page-bundles.sh
) >"$browser_log" 2>&1 &
browser=$!
trap 'kill "$browser" 2>/dev/null || true' EXIT
started=$SECONDS
# The server, without the browser build's environment.
cargo leptos build --release --server-only
server_done=$SECONDS
if ! wait "$browser"; then
  cat "$browser_log"
  echo "the browser's release build failed (above)" >&2
  exit 1
fi
cat "$browser_log"
echo "server built in $((server_done - started)) s; the browser's bundles beside it, done after $((SECONDS - started)) s"
# cargo-leptos writes its gzip copies with a weaker deflate than gzip -9 (1,195 KB against
# 1,022 KB for the WASM): a client that takes gzip but not brotli gets the smaller file.
find target/site -type f ! -name '*.gz' ! -name '*.br' -exec sh -c 'gzip -9 -n -c "$1" > "$1.gz"' _ {} \;
scripts/weight.sh
