#!/usr/bin/env bash
# The browser's WASM built outside cargo-leptos, for finding where its bytes go:
#   scripts/wasm-size.sh [TARGET_DIR]        size after wasm-opt -Oz, raw and gzip -9
#   NAMES=1 scripts/wasm-size.sh [DIR]       also keeps the name section (v0 symbols) and
#                                            prints scripts/wasm-bloat.py's table
#   ERASE=1 scripts/wasm-size.sh [DIR]       with component types erased
# Same profile and wasm-opt level as the release build (scripts/build-release.sh), in its own
# target directory so the release build's cache stays warm.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
dir=${1:-target/wasm-size}
flags=()
extra=""
# ERASE=1: with component types erased (cargo-leptos's always-erase-components).
if [ "${ERASE:-0}" = 1 ]; then extra="$extra --cfg erase_components"; fi
if [ "${NAMES:-0}" = 1 ]; then
  extra="$extra -C symbol-mangling-version=v0"
  dir="$dir-names"
fi
browser_release_env "$extra"
cargo build --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile wasm-release --target-dir "$dir" ${CARGO_FLAGS:-}
out=$dir/bindgen
if [ "${NAMES:-0}" = 1 ]; then flags+=(-g); fi
finish_wasm "$dir/wasm32-unknown-unknown/wasm-release/maruntime.wasm" "$out" "${flags[@]}"
raw=$(stat -c %s "$out/opt.wasm")
gz=$(gzip -9c "$out/opt.wasm" | wc -c)
echo "wasm after wasm-opt: $raw bytes raw, $gz gzip -9${NAMES:+ (with names)}"
if [ "${NAMES:-0}" = 1 ]; then python3 scripts/wasm-bloat.py "$out/opt.wasm" --top "${TOP:-40}"; fi
