# Sourced by the other scripts: puts the project's wasm-opt (npm binaryen) first on PATH.
MARUNTIME_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$MARUNTIME_ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
