#!/usr/bin/env bash
# Drives the gateway with real agent frameworks whose tools run on the client: the OpenAI
# Agents SDK (its chat-completions model class) and LangChain's ChatOpenAI with bind_tools,
# against the release server and the browser tests' fake model (end2end/fake-llm.mjs).
# Usage: scripts/framework-demo.sh   (needs `cargo leptos build --release` and Node; installs
# the Python packages into target/framework-venv from PyPI the first time)
set -euo pipefail
cd "$(dirname "$0")/.."
port=3320
llm_port=3321
data=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$data"' EXIT

venv=target/framework-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import agents, langchain_openai" 2>/dev/null; then
  echo "[framework-demo] installing openai-agents and langchain-openai into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q openai-agents langchain-openai
fi

FAKE_LLM_PORT=$llm_port node end2end/fake-llm.mjs &
LEPTOS_SITE_ADDR=127.0.0.1:$port DATABASE_URL="sqlite://$data/db.sqlite" MARUNTIME_MEMORY_DIR="$data/memory" \
  MARUNTIME_COOKIE_SECURE=false RUST_LOG=warn \
  MARUNTIME_LLM_BASE_URL=http://127.0.0.1:$llm_port/v1 MARUNTIME_LLM_MODEL=fake \
  scripts/serve-release.sh &
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

jar="$data/cookies"
url="http://127.0.0.1:$port"
curl -sf -c "$jar" -H 'content-type: application/json' -H "origin: $url" \
  -d '{"login":"framework","password":"plum-orbit-sailcloth-42","display_name":"Framework"}' \
  "$url/auth/register" >/dev/null
key=$(curl -sf -b "$jar" -H 'content-type: application/json' -H "origin: $url" \
  -d '{"name":"frameworks","password":"plum-orbit-sailcloth-42"}' "$url/auth/api-keys" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

export MARUNTIME_URL=$url MARUNTIME_KEY=$key
echo "== OpenAI Agents SDK $("$venv/bin/pip" show openai-agents | sed -n 's/^Version: //p')"
"$venv/bin/python" scripts/frameworks/agents_sdk_weather.py
echo "== LangChain (langchain-openai $("$venv/bin/pip" show langchain-openai | sed -n 's/^Version: //p'))"
"$venv/bin/python" scripts/frameworks/langchain_weather.py
echo "[framework-demo] both frameworks ran their own tool through the gateway"
