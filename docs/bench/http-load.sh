#!/usr/bin/env bash
# Bounded HTTP load run: GET /healthz versus POST /v1/screen (names from the
# tuning set), same tool, threads, connections and duration, against the
# full CSL fixture. Prints wrk's summaries; docs/BENCHMARKS.md quotes them.
#   bash docs/bench/http-load.sh [duration=20s] [connections=16]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
dur=${1:-20s}
conns=${2:-16}
shared=${SCREENER_SHARED_DIR:-$root/../shared}
command -v wrk >/dev/null || { echo "install wrk (apt-get install -y wrk)"; exit 1; }
work=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT

python3 - "$shared/eval/dev.jsonl" > "$work/names.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(json.dumps({"name": json.loads(line)["query"]["name"]}, ensure_ascii=False))
PY
go build -o "$work/screener" ./cmd/screener
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LISTEN_ADDR=127.0.0.1:$port LIST_URL=off LIST_FILE="$shared/data/csl_full_fixture.csv.gz" \
	"$work/screener" 2>"$work/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
curl -s "http://127.0.0.1:$port/readyz"; echo

echo "== GET /healthz  (wrk -t2 -c$conns -d$dur)"
wrk -t2 -c"$conns" -d"$dur" "http://127.0.0.1:$port/healthz"
echo "== POST /v1/screen, $(wc -l <"$work/names.jsonl") tuning-set names in turn  (wrk -t2 -c$conns -d$dur)"
BODIES="$work/names.jsonl" wrk -t2 -c"$conns" -d"$dur" -s docs/bench/screen.lua "http://127.0.0.1:$port/v1/screen"
echo "== server RSS"
grep -E 'VmRSS|VmHWM' /proc/$pid/status
