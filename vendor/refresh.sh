#!/usr/bin/env bash
# Re-creates each vendored crate from its crates.io release plus its patch (vendor/README.md
# says why each patch exists):
#   vendor/refresh.sh           replaces vendor/<crate> with upstream + <crate>.patch
#   vendor/refresh.sh --check   builds the same in a temporary folder and fails, naming the
#                               files, if vendor/<crate> differs from it (CI runs this)
# To change a patch: edit vendor/<crate>, then write the patch again from the difference
# (`diff -ruN upstream vendor/<crate>`, paths a/ and b/), and run --check.
set -euo pipefail
cd "$(dirname "$0")"

# name, version, and the .crate file's sha256 (crates.io's checksum of that release).
crates=(
  "tachys 0.2.19 e47e2220bb9d2a3be976a22a0fb7685a0b84499bb11ea5cb3bbc82907675ac68"
  "leptos_i18n 0.6.2 efc04f323545e008d9b6fe696d733557846ee17024af65b86b16c44a5c724d7b"
)
# Files cargo's packaging adds to a .crate that a path dependency's build never reads.
packaging=(.cargo_vcs_info.json .gitignore Cargo.lock Cargo.toml.orig Makefile.toml)

check=false
[ "${1:-}" = "--check" ] && check=true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=0
for entry in "${crates[@]}"; do
  read -r name version sha <<<"$entry"
  crate="$work/$name-$version.crate"
  # The local registry cache first (no network), else crates.io's static host.
  cached=$(ls ~/.cargo/registry/cache/*/"$name-$version.crate" 2>/dev/null | head -n1 || true)
  if [ -n "$cached" ]; then
    cp "$cached" "$crate"
  else
    curl -sSfL --retry 3 -o "$crate" "https://static.crates.io/crates/$name/$name-$version.crate"
  fi
  echo "$sha  $crate" | sha256sum --check --quiet
  tar -xzf "$crate" -C "$work"
  fresh="$work/$name-$version"
  (cd "$fresh" && rm -f "${packaging[@]}" && patch -p1 --quiet --no-backup-if-mismatch) <"$name.patch"
  if $check; then
    if diff -r -q "$fresh" "$name" >"$work/diff.txt"; then
      echo "vendor/$name: equals $name $version from crates.io plus $name.patch"
    else
      echo "vendor/$name differs from $name $version plus $name.patch:" >&2
      sed "s|$work/||" "$work/diff.txt" >&2
      failed=1
    fi
  else
    rm -rf "$name"
    mv "$fresh" "$name"
    echo "vendor/$name: re-created from $name $version plus $name.patch"
  fi
done
exit $failed
