#!/usr/bin/env bash
# Loads the full CSL fixture as a user would and reports, for each step, the
# time to readiness and the memory of the process:
#   1. LIST_FILE only (no Redis)
#   2. LIST_FILE + REDIS_URL (parse, index, publish to Redis)
#   3. a second replica with REDIS_URL only (load from Redis, index)
#   bash docs/bench/list-load.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
shared=${SCREENER_SHARED_DIR:-$root/../shared}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/screener" ./cmd/screener
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rport=$(freeport)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
pids+=($!)
sleep 0.3

run() { # name, env...
	local name=$1; shift
	local port; port=$(freeport)
	local t0; t0=$(date +%s.%N)
	env LISTEN_ADDR=127.0.0.1:$port LIST_URL=off "$@" "$work/screener" 2>"$work/$name.log" &
	local pid=$!
	pids+=($pid)
	until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.01; done
	# wait until the full list (not the built-in snapshot) is served
	until curl -s "http://127.0.0.1:$port/readyz" | grep -q '"entries":14163'; do sleep 0.01; done
	local t1; t1=$(date +%s.%N)
	sleep 1 # let the GC settle
	printf '%-32s ready with 14,163 entries in %5.2f s; RSS %s, peak %s\n' "$name" \
		"$(echo "$t1 - $t0" | bc)" \
		"$(awk '/VmRSS/{printf "%.0f MiB", $2/1024}' /proc/$pid/status)" \
		"$(awk '/VmHWM/{printf "%.0f MiB", $2/1024}' /proc/$pid/status)"
	grep -h '"index_build_ms"' "$work/$name.log" | grep -v '"builtin"\|embedded' | head -1 |
		python3 -c 'import json,sys; l=sys.stdin.readline(); print("    index build:", json.loads(l).get("index_build_ms"), "ms") if l else None'
}

run "file, no Redis" LIST_FILE="$shared/data/csl_full_fixture.csv.gz"
run "file + Redis (publishes)" LIST_FILE="$shared/data/csl_full_fixture.csv.gz" REDIS_URL=redis://127.0.0.1:$rport
run "Redis only (second replica)" REDIS_URL=redis://127.0.0.1:$rport
