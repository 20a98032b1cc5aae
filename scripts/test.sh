#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, Rust unit and integration tests (SQLite, and
# PostgreSQL when MARUNTIME_TEST_POSTGRES_URL is set), the release build, and Playwright.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS=0
scripts/bootstrap.sh --browser
source scripts/env.sh
bootstrap_seconds=$SECONDS

# Each step's time is printed when the next starts, and all of them at the end, so a slow CI
# run shows where its minutes went.
timings=()
last_step=""
last_start=$SECONDS
close_step() {
  [ -n "$last_step" ] && timings+=("$(printf '%5d s  %s' $((SECONDS - last_start)) "$last_step")")
  last_step="$1"
  last_start=$SECONDS
}
step() {
  close_step "$*"
  printf '\n\033[1;34m==> %s\033[0m\n' "$*"
}

step "cargo fmt --check"
cargo fmt --check

step "vendored crates equal their crates.io release plus their patch (vendor/refresh.sh --check)"
vendor/refresh.sh --check

# Clippy and the tests compile as `scripts/dev.sh` does (DEV_RUSTFLAGS, scripts/env.sh); the
# release build compiles the other way. Clippy for the browser's code runs in the background
# beside the server's clippy and the test build, in a target directory of its own (cargo
# locks one per build): much of each build is a single rustc on one core, so together they
# keep both cores busy. Its result is checked before the tests run.
browser_clippy_log=$(mktemp)
(renice -n 10 -p "$BASHPID" >/dev/null
  started=$SECONDS
  RUSTFLAGS="$DEV_RUSTFLAGS" cargo clippy --lib --no-default-features --features hydrate \
  --target wasm32-unknown-unknown --target-dir target/clippy-browser -- -D warnings
  echo "Finished: the browser's clippy took $((SECONDS - started)) s beside the steps above") \
  >"$browser_clippy_log" 2>&1 &
browser_clippy=$!
trap 'kill "$browser_clippy" 2>/dev/null || true' EXIT
step "cargo clippy (server and tests, development settings; the browser's clippy beside it)"
RUSTFLAGS="$DEV_RUSTFLAGS" cargo clippy --all-targets --features ssr -- -D warnings

# The PostgreSQL tests are #[ignore]d (tests/api/helpers.rs): cargo counts them as ignored unless
# a server is configured, and then runs them too.
test_args=()
if [ -z "${MARUNTIME_TEST_POSTGRES_URL:-}" ]; then
  printf '\n\033[1;33mNOTE: PostgreSQL tests will be SKIPPED (cargo lists them as ignored): MARUNTIME_TEST_POSTGRES_URL is not set.\n'
  printf 'To run them: MARUNTIME_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/test.sh\033[0m\n'
else
  test_args=(-- --include-ignored)
fi
# The tests' servers read target/site as a development server does: a list of per-part
# bundles left by an earlier release build would make their pages name those bundles (as
# scripts/dev.sh, this removes it; the release build below writes it again).
rm -f target/site/pkg/page-bundles.txt
step "cargo test: build (unit and integration; the server as scripts/dev.sh builds it)"
RUSTFLAGS="$DEV_RUSTFLAGS" cargo test --features ssr --no-run
step "cargo clippy (browser, development settings): waiting for its result"
if ! wait "$browser_clippy"; then
  cat "$browser_clippy_log"
  echo "clippy found problems in the browser's code (above)" >&2
  exit 1
fi
grep -E '^(warning|error)|Finished' "$browser_clippy_log" || true
step "cargo test: run"
RUSTFLAGS="$DEV_RUSTFLAGS" cargo test --features ssr "${test_args[@]}"

step "release build (scripts/build-release.sh: the public part's bundle and the stylesheet by cargo-leptos, the server, then the other parts' bundles)"
scripts/build-release.sh

step "Playwright (Chromium at /usr/bin/chromium, against the release build)"
(cd end2end && npx playwright test)
close_step ""
printf '\n\033[1mTime per step\033[0m (bootstrap before the first: %d s)\n' "$bootstrap_seconds"
printf '%s\n' "${timings[@]}"
if [ -n "${RUSTC_WRAPPER:-}" ]; then
  printf '\n\033[1mCompiler cache\033[0m (sccache, since its server started)\n'
  "$RUSTC_WRAPPER" --show-stats | grep -E '^(Compile requests|Cache hits|Cache misses|Non-cacheable calls|Cache size)' || true
fi

if [ -z "${MARUNTIME_TEST_POSTGRES_URL:-}" ]; then
  printf '\n\033[1;33mAll tests passed; the PostgreSQL half was SKIPPED (set MARUNTIME_TEST_POSTGRES_URL to run it).\033[0m\n'
else
  printf '\n\033[1;32mAll tests passed, on SQLite and PostgreSQL.\033[0m\n'
fi
