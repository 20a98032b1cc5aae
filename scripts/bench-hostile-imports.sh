#!/usr/bin/env bash
# What hostile imports cost a release server (figures in the closing notes of issue 31): two
# 25 KB zips of 16 MiB of tiny JSON objects at once (peak memory), one conversation followed
# by 16 MiB of `0,` (CPU), and the chat page of an imported 8 MiB answer (HTML size, time,
# memory). Usage: scripts/bench-hostile-imports.sh [BINARY]   (default target/release/maruntime;
# run scripts/build-release.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/maruntime}
port=3977
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
python3 - "$data" <<'PY'
import json, sys, zipfile
out = sys.argv[1]
n = (16 << 20) // 7
with zipfile.ZipFile(f"{out}/tiny.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("conversations.json", b'[{"x":[' + b'{"":0},' * n + b'{"":0}]}]')
talk = {"uuid": "real", "name": "A talk", "chat_messages": [
    {"uuid": "q", "sender": "human", "text": "hi"}, {"uuid": "a", "sender": "assistant", "text": "hello"}]}
with zipfile.ZipFile(f"{out}/zeros.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("conversations.json", ("[" + json.dumps(talk) + ",").encode() + b"0," * ((16 << 20) // 2) + b"0]")
giant = {"uuid": "giant", "name": "Giant", "chat_messages": [
    {"uuid": "q", "sender": "human", "text": "hi"},
    {"uuid": "a", "sender": "assistant", "text": "Lorem ipsum dolor sit amet. " * 300000}]}
open(f"{out}/giant.json", "w").write(json.dumps([giant]))
PY
LEPTOS_ENV=PROD LEPTOS_SITE_ADDR=127.0.0.1:$port DATABASE_URL="sqlite://$data/db.sqlite" \
  MARUNTIME_MEMORY_DIR="$data/mem" RUST_LOG=error "$bin" > "$data/log" 2>&1 &
pid=$!
u=http://127.0.0.1:$port
until curl -sf "$u/healthz" >/dev/null; do sleep 0.05; done
for who in ann bob cat; do
  curl -s -c "$data/$who" -o /dev/null -H 'content-type: application/json' \
    -d "{\"login\":\"$who\",\"password\":\"plum-orbit-sailcloth-42\",\"display_name\":\"$who\"}" "$u/auth/register"
done
sleep 1
mib() { awk "/$1/ {printf \"%.0f\", \$2/1024}" "/proc/$pid/status"; }
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
idle=$(mib VmRSS)
echo 5 > "/proc/$pid/clear_refs"   # VmHWM from here on
curl -s -m 300 -b "$data/ann" -o "$data/a.out" -F "file=@$data/tiny.zip" "$u/v1/imports" & a=$!
curl -s -m 300 -b "$data/bob" -o "$data/b.out" -F "file=@$data/tiny.zip" "$u/v1/imports" & b=$!
wait $a $b
echo "two tiny-object imports at once: RSS ${idle} MiB before, peak $(mib VmHWM) MiB, $(mib VmRSS) MiB after; answer: $(head -c 160 "$data/a.out")"
before=$(ticks)
curl -s -m 600 -b "$data/cat" -o "$data/c.out" -F "file=@$data/zeros.zip" "$u/v1/imports"
echo "one conversation and 16 MiB of 0,: $(( ($(ticks) - before) * 1000 / $(getconf CLK_TCK) )) ms of CPU; answer: $(head -c 160 "$data/c.out")"
curl -s -b "$data/cat" -o "$data/g.out" -F "file=@$data/giant.json" "$u/v1/imports"
chat=$(python3 -c "import json; print(json.load(open('$data/g.out'))['chats'][0]['id'])")
echo 5 > "/proc/$pid/clear_refs"
before=$(mib VmRSS)
for _ in 1 2 3; do
  curl -s -b "$data/cat" -o /dev/null -H 'accept: text/html' \
    -w "chat page with the 8 MiB answer: %{size_download} B in %{time_total} s\n" "$u/chat/$chat"
done
echo "its views: RSS ${before} MiB before, peak $(mib VmHWM) MiB"
