#!/usr/bin/env bash
# The web UI as a phone meets it, against the release build (scripts/build-release.sh first):
# Lighthouse (mobile preset, Debian's Chromium) performance and accessibility scores for /login
# and a chat page, then time to interactive (end2end/bench-ui.mjs). Lighthouse is installed
# into target/lighthouse on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
port=3400
url="http://127.0.0.1:$port"
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
if [ ! -x target/lighthouse/node_modules/.bin/lighthouse ]; then
  echo "[bench] installing lighthouse into target/lighthouse"
  mkdir -p target/lighthouse
  npm install --prefix target/lighthouse --no-audit --no-fund lighthouse@13 >/dev/null
fi
LEPTOS_SITE_ADDR=127.0.0.1:$port DATABASE_URL="sqlite://$data/db.sqlite" MARUNTIME_MEMORY_DIR="$data/memory" \
  MARUNTIME_COOKIE_SECURE=false RUST_LOG=error scripts/serve-release.sh &
pid=$!
until curl -sf "$url/healthz" >/dev/null; do sleep 0.05; done

# An account with a chat of a few messages.
jar="$data/jar"
curl -sf -c "$jar" -H 'Content-Type: application/json' -H "Origin: $url" \
  -d '{"login":"bench","password":"plum-orbit-sailcloth-42","display_name":"Bench"}' "$url/auth/register" >/dev/null
cookie=$(awk '$6 ~ /session/ {print $6"="$7}' "$jar" | head -n1)
chat=$(curl -sf -b "$jar" -H 'Content-Type: application/json' -H "Origin: $url" -d '{"title":"Benchmarks"}' "$url/v1/chats" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for text in "How do I read a file in Rust?" "And in Python, line by line?" "Thanks. What about a CSV file?"; do
  curl -sf -b "$jar" -H 'Content-Type: application/json' -H "Origin: $url" -d "{\"content\":\"$text\"}" \
    "$url/v1/chats/$chat/messages" >/dev/null
done

for path in /login "/chat/$chat"; do
  target/lighthouse/node_modules/.bin/lighthouse "$url$path" --quiet --output=json --output-path="$data/lh.json" \
    --only-categories=performance,accessibility --chrome-path=/usr/bin/chromium \
    --chrome-flags="--headless --no-sandbox" --extra-headers="{\"Cookie\":\"$cookie\"}" >/dev/null 2>&1 || true
  python3 - "$data/lh.json" "$path" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c, a = r["categories"], r["audits"]
ms = lambda k: a[k]["numericValue"] if k in a and a[k].get("numericValue") is not None else float("nan")
print(f"Lighthouse {r['lighthouseVersion']} mobile, {sys.argv[2]}: performance {c['performance']['score']*100:.0f}, "
      f"accessibility {c['accessibility']['score']*100:.0f}; FCP {ms('first-contentful-paint'):.0f} ms, "
      f"LCP {ms('largest-contentful-paint'):.0f} ms, TBT {ms('total-blocking-time'):.0f} ms, "
      f"interactive {ms('interactive'):.0f} ms")
PY
done
(cd end2end && node bench-ui.mjs "$url" "$cookie" "/chat/$chat")
