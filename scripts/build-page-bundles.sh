#!/usr/bin/env bash
# One browser bundle per part of the site (src/page_bundle.rs), each with that part's pages
# alone, written beside cargo-leptos's bundle in target/site/pkg as page-<part>.<hash>.{js,wasm}
# with brotli copies, and listed in target/site/pkg/page-bundles.txt, which the server reads at
# start-up to name each page's bundle. Run by scripts/build-release.sh after `cargo leptos build`.
# Same profile, features and environment as cargo-leptos's own build of the public part
# (scripts/build-release.sh), in its target directory: no dependency is compiled twice, and
# the public part itself is already fresh there.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
pkg=target/site/pkg
dir=target/front
# What cargo-leptos set for its own build of the public part (scripts/build-release.sh saved
# it from its log): with anything else, cargo would see a changed environment and compile again.
envs=target/front/leptos-envs.txt
[ -s "$envs" ] || { echo "no $envs: run scripts/build-release.sh" >&2; exit 1; }
while read -r assignment; do export "${assignment?}"; done < "$envs"
browser_release_env
# The parts of the site: Cargo.toml's page-* features (build.rs reads the same list).
mapfile -t parts < <(sed -n '/^\[features\]/,/^\[/s/^page-\([a-z]*\) *=.*/\1/p' Cargo.toml)
[ -d "$pkg" ] || { echo "no $pkg: run cargo leptos build --release first" >&2; exit 1; }
rm -f "$pkg"/page-* "$pkg/page-bundles.txt.new"
for part in "${parts[@]}"; do
  echo "[page bundles] $part"
  cargo build --lib --target wasm32-unknown-unknown --no-default-features \
    --features "hydrate,page-$part" --profile wasm-release --target-dir "$dir"
  out="target/page-bundles/$part"
  finish_wasm "$dir/wasm32-unknown-unknown/wasm-release/maruntime.wasm" "$out"
  # wasm-bindgen's glue minified, as cargo-leptos minifies its own (60 KB raw becomes ~25).
  end2end/node_modules/.bin/terser "$out/maruntime.js" --module --compress --mangle \
    -o "$out/maruntime.min.js"
  # The glue and the WASM belong together: one hash of both names them.
  hash=$(cat "$out/opt.wasm" "$out/maruntime.min.js" | sha256sum | cut -c1-16)
  name="page-$part.$hash"
  cp "$out/opt.wasm" "$pkg/$name.wasm"
  cp "$out/maruntime.min.js" "$pkg/$name.js"
  echo "$part $name" >> "$pkg/page-bundles.txt.new"
done
# Brotli at its best level, as cargo-leptos's --precompress writes (Node has it built in).
node -e '
  const zlib = require("zlib"), fs = require("fs");
  const best = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } };
  for (const f of process.argv.slice(1)) fs.writeFileSync(f + ".br", zlib.brotliCompressSync(fs.readFileSync(f), best));
' "$pkg"/page-*.wasm "$pkg"/page-*.js
mv "$pkg/page-bundles.txt.new" "$pkg/page-bundles.txt"
