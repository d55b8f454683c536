#!/usr/bin/env bash
# Measures batch screening for docs/BENCHMARKS.md (## Batch). From the
# repository root, with redis-server, wrk, curl and python3 installed:
#
#   bash batch/testdata/bench.sh            # everything
#   STEPS="memory wrk" bash batch/testdata/bench.sh
#
# Steps: memory (1M rows, in-process mode), redis (the same with Redis),
# wrk (single-request POST /v1/screen throughput, same names), kill (two
# replicas on one Redis; one is killed with SIGKILL mid-job, the other
# finishes). Every result file is checked by batchgen -check: one result
# per row, in order, the broken lines reported, the Kaspersky rows matched.
# Figures go to $WORK/figures.txt. Everything started here is stopped on exit.
set -euo pipefail
ROWS=${ROWS:-1000000}
WORK=${WORK:-/tmp/screener-bench}
LIST=${LIST:-$(cd .. && pwd)/shared/data/csl_full_fixture.csv.gz}
STEPS=${STEPS:-memory redis wrk kill}
WRK_SECONDS=${WRK_SECONDS:-20}
REDIS_PORT=${REDIS_PORT:-16379}
mkdir -p "$WORK"
FIG=$WORK/figures.txt
: >"$FIG"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
say() { echo "$*" | tee -a "$FIG"; }
now() { date +%s.%N; }

go build -o "$WORK/screener" ./cmd/screener
go build -o "$WORK/batchgen" ./batch/testdata/batchgen
if [[ ! -s $WORK/batch.csv || ! -s $WORK/names.jsonl ]]; then
	"$WORK/batchgen" -rows "$ROWS" -o "$WORK/batch.csv" -names "$WORK/names.jsonl" -dev "$(dirname "$LIST")/../eval/dev.jsonl"
fi
say "machine: $(nproc) CPUs, $(go version | cut -d' ' -f3), commit $(git rev-parse --short HEAD), matcher last changed in $(git log -1 --format=%h -- matcher)"
say "input: $WORK/batch.csv, $(wc -l <"$WORK/batch.csv") lines, $(du -h "$WORK/batch.csv" | cut -f1)"

# start_server NAME PORT [ENV=VALUE…]: runs the service; its pid is left in $spid.
start_server() {
	local name=$1 port=$2
	shift 2
	env LISTEN_ADDR=127.0.0.1:"$port" LIST_URL=off LIST_FILE="$LIST" LOG_LEVEL=warn "$@" "$WORK/screener" >/dev/null 2>"$WORK/$name.log" &
	spid=$!
	pids+=("$spid")
	until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
		kill -0 "$spid" || { cat "$WORK/$name.log"; exit 1; }
		sleep 0.2
	done
}

# watch_rss PID FILE: samples VmRSS (kB) every 200 ms until PID exits.
watch_rss() {
	while kill -0 "$1" 2>/dev/null; do
		awk '/VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || true
		sleep 0.2
	done >"$2" &
	pids+=("$!")
}
peak_mb() { awk 'max < $1 {max = $1} END {printf "%.0f", max/1024}' "$1"; }
hwm_mb() { awk '/VmHWM/{printf "%.0f", $2/1024}' "/proc/$1/status"; }

# batch_run LABEL PORT PID: screens the file through the CLI, checks it.
batch_run() {
	local label=$1 port=$2 pid=$3
	local idle_rss
	idle_rss=$(awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$pid/status")
	watch_rss "$pid" "$WORK/$label.rss"
	local t0 t1
	t0=$(now)
	"$WORK/screener" batch "$WORK/batch.csv" --server "http://127.0.0.1:$port" -o "$WORK/$label.results.csv" --progress never --poll 250ms 2>"$WORK/$label.cli.log"
	t1=$(now)
	local id
	id=$(grep -o 'job [0-9a-f]*' "$WORK/$label.cli.log" | sed -n '1s/job //p')
	curl -s "http://127.0.0.1:$port/v1/batches/$id" >"$WORK/$label.status.json"
	local job_s
	job_s=$(python3 -c 'import json,sys,datetime as d
j=json.load(open(sys.argv[1])); f=lambda s: d.datetime.fromisoformat(s[:26].rstrip("Z"))
print("%.1f" % (f(j["finished_at"])-f(j["created_at"])).total_seconds())' "$WORK/$label.status.json")
	local wall
	wall=$(python3 -c "print('%.1f' % ($t1-$t0))")
	say "$label: $ROWS rows; CLI wall time ${wall}s (upload, screening, download) = $(python3 -c "print(round($ROWS/$wall))") rows/s; job ${job_s}s from upload start to done = $(python3 -c "print(round($ROWS/$job_s))") rows/s"
	python3 -c "print(round($ROWS/$wall), round($ROWS/$job_s))" >"$WORK/$label.rate"
	say "$label: service RSS idle ${idle_rss} MB, peak during the job $(peak_mb "$WORK/$label.rss") MB (VmHWM since start $(hwm_mb "$pid") MB)"
	"$WORK/batchgen" -check "$WORK/$label.results.csv" -manifest "$WORK/batch.csv.manifest.json" >"$WORK/$label.check.txt"
	sed -n "1s/^/$label: /p" "$WORK/$label.check.txt" | tee -a "$FIG"
}

for step in $STEPS; do
	say "$step: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	case $step in
	memory)
		rm -rf "$WORK/scratch" && mkdir -p "$WORK/scratch"
		start_server memory 18080 BATCH_DIR="$WORK/scratch"
		pid=$spid
		batch_run memory 18080 "$pid"
		sed -n '2,$p' "$WORK/memory.check.txt" >>"$FIG"
		kill "$pid"
		;;
	redis)
		redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >"$WORK/redis.log" 2>&1 &
		rpid=$!
		pids+=("$rpid")
		until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done
		redis-cli -p "$REDIS_PORT" flushall >/dev/null
		start_server redis 18080 REDIS_URL=redis://127.0.0.1:"$REDIS_PORT"
		pid=$spid
		batch_run redis 18080 "$pid"
		say "redis: redis-server used_memory_peak $(redis-cli -p "$REDIS_PORT" info memory | awk -F: '/used_memory_peak_human/{print $2}' | tr -d '\r')"
		kill "$pid" "$rpid"
		;;
	wrk)
		start_server wrk 18080
		pid=$spid
		cat >"$WORK/screen.lua" <<EOF
local bodies = {}
for line in io.lines("$WORK/names.jsonl") do
	bodies[#bodies + 1] = line
	if #bodies == 200000 then break end
end
local i = math.random(#bodies)
request = function()
	i = i % #bodies + 1
	return wrk.format("POST", "/v1/screen", {["Content-Type"] = "application/json"}, bodies[i])
end
EOF
		wrk -t2 -c8 -d5s -s "$WORK/screen.lua" http://127.0.0.1:18080/v1/screen >/dev/null # warm up
		wrk -t2 -c8 -d"${WRK_SECONDS}s" --latency -s "$WORK/screen.lua" http://127.0.0.1:18080/v1/screen | tee "$WORK/wrk.txt"
		rps=$(awk '/Requests\/sec/{print $2}' "$WORK/wrk.txt")
		say "wrk: single-request POST /v1/screen, 2 threads, 8 connections, ${WRK_SECONDS}s: $rps requests/s ($(grep -E 'Non-2xx|Socket errors' "$WORK/wrk.txt" || echo 'all 2xx'))"
		for label in memory redis; do
			if [[ -f $WORK/$label.rate ]]; then
				read -r wall_rate job_rate <"$WORK/$label.rate"
				say "ratio ($label): batch $job_rate rows/s (job) / $rps = $(python3 -c "print('%.1fx' % ($job_rate/$rps))"); end to end with upload and download $wall_rate rows/s / $rps = $(python3 -c "print('%.1fx' % ($wall_rate/$rps))")"
			fi
		done
		kill "$pid"
		;;
	kill)
		redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >"$WORK/redis-kill.log" 2>&1 &
		rpid=$!
		pids+=("$rpid")
		until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done
		redis-cli -p "$REDIS_PORT" flushall >/dev/null
		env=(REDIS_URL=redis://127.0.0.1:"$REDIS_PORT" BATCH_CLAIM_TIMEOUT=10s)
		start_server replica-a 18081 "${env[@]}"
		a=$spid
		start_server replica-b 18082 "${env[@]}"
		b=$spid
		watch_rss "$b" "$WORK/replica-b.rss"
		t0=$(now)
		id=$(curl -sf -H 'Content-Type: text/csv' --data-binary @"$WORK/batch.csv" http://127.0.0.1:18081/v1/batches | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
		# Kill A (SIGKILL: no hand-back) once about 30% of the rows are done.
		while :; do
			done_rows=$(curl -s "http://127.0.0.1:18082/v1/batches/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows_done"])')
			((done_rows >= ROWS * 3 / 10)) && break
			sleep 0.2
		done
		kill -9 "$a"
		tk=$(now)
		sleep 0.5
		# Consumer names are host-pid-random: A's pending entries carry its pid.
		pending=$(redis-cli -p "$REDIS_PORT" xpending screener:batch:queue workers - + 1000 | grep -c -- "-$a-" || true)
		say "kill: replica A killed with SIGKILL at $(python3 -c "print('%.1f' % ($tk-$t0))")s, ${done_rows} rows done; A left ${pending} chunk(s) taken and unacknowledged"
		while :; do
			st=$(curl -s "http://127.0.0.1:18082/v1/batches/$id")
			status=$(echo "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
			[[ $status == done || $status == failed ]] && break
			sleep 0.5
		done
		t1=$(now)
		echo "$st" >"$WORK/kill.status.json"
		curl -sf "http://127.0.0.1:18082/v1/batches/$id/results" -o "$WORK/kill.results.csv"
		say "kill: replica B finished the job: status $status, rows_done $(echo "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows_done"])'), $(python3 -c "print('%.1f' % ($t1-$t0))")s after the upload; claim timeout 10s"
		"$WORK/batchgen" -check "$WORK/kill.results.csv" -manifest "$WORK/batch.csv.manifest.json" >"$WORK/kill.check.txt"
		sed -n '1s/^/kill: /p' "$WORK/kill.check.txt" | tee -a "$FIG"
		dups=$(tail -n +2 "$WORK/kill.results.csv" | python3 -c 'import csv,sys,collections; c=collections.Counter(r[0] for r in csv.reader(sys.stdin)); print(sum(1 for v in c.values() if v>1))')
		say "kill: duplicate lines in the results: $dups; replica B peak RSS $(peak_mb "$WORK/replica-b.rss") MB"
		kill "$b" "$rpid"
		;;
	*)
		echo "unknown step $step" >&2
		exit 2
		;;
	esac
done
echo
cat "$FIG"
