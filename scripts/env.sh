# Sourced by the other scripts: puts the project's wasm-opt (npm binaryen) first on PATH.
MARUNTIME_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$MARUNTIME_ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# sccache (installed by scripts/bootstrap.sh) caches what rustc compiles, keyed by its inputs'
# contents, in ~/.cache/sccache: a clean clone on a machine that built the project before
# takes its dependencies from there. It cannot change a result, only skip recomputing one;
# MARUNTIME_SCCACHE=off compiles everything (SCCACHE_DIR=an empty folder proves the same).
sccache_bin="$(python3 -m site --user-base 2>/dev/null)/bin/sccache"
if [ "${MARUNTIME_SCCACHE:-on}" != off ] && [ -x "$sccache_bin" ] && [ -z "${RUSTC_WRAPPER:-}" ]; then
  export RUSTC_WRAPPER="$sccache_bin"
  export SCCACHE_CACHE_SIZE="${SCCACHE_CACHE_SIZE:-20G}"
fi

# What cargo-leptos adds to RUSTFLAGS in a development build (`scripts/dev.sh`): component
# types erased. Tests and clippy compile with it, so CI compiles what a developer's first
# command compiles (the release build compiles the other way).
export DEV_RUSTFLAGS="--cfg erase_components"

# A compiled browser WASM made into what ships: wasm-bindgen's glue and wasm-opt -Oz with the
# features rustc's output uses. One definition for the per-part bundles
# (scripts/build-page-bundles.sh) and the size measurements (scripts/wasm-size.sh), so a
# measurement is of what ships. Writes OUT_DIR/maruntime.js and OUT_DIR/opt.wasm.
# Usage: finish_wasm IN.wasm OUT_DIR [more wasm-opt flags...]
finish_wasm() {
  local wasm=$1 out=$2
  shift 2
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" "$wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-reference-types \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue "$@" \
    "$out/maruntime_bg.wasm" -o "$out/opt.wasm"
}

# The environment of every release build of the browser's WASM (scripts/build-release.sh,
# build-page-bundles.sh, wasm-size.sh), so all of them compile alike and share one cache:
# std compiled again with the bundle's own size settings, and rustc's `immediate-abort` panic
# strategy, which stops at a panic instead of formatting a message (file, line, value) that no
# one reads in a release page: 25 KB gzip less for the chat page. Both are unstable features of
# the stable compiler, allowed for these builds alone by RUSTC_BOOTSTRAP; rust-src, which
# build-std needs, is installed by scripts/bootstrap.sh. Development builds keep the messages.
browser_release_env() {
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort ${1:-}"
}
