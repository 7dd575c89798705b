#!/usr/bin/env bash
# Serving benchmark (issue 4): the real GET /customers/{id}/recommendations next to its floor and ceiling,
# all on this machine, in one run, loopback only:
#   1. redis-benchmark GET of the very keys the server reads, 64 connections (the Redis floor);
#   2. a constant-bytes Undertow answering the same bytes from memory (the HTTP ceiling);
#   3. the real server, cache off (shoprec.serving.cache-size = 0): every request is one Redis GET;
#   4. the real server, cache on (default 256M, warmed with every customer once).
# Load: wrk -t2 -c64, uniformly random customers among CUSTOMERS, after a warm-up. wrk's percentiles are
# corrected for coordinated omission (it adds the requests a stalled connection would have sent), so any
# stall (GC pause, a core taken by another process) weighs heavily on p99; redis-benchmark's are not.
#
#   bench/serving.sh [CUSTOMERS]        (default 100000)
#
# Environment: DURATION seconds per wrk measurement (15), WARMUP seconds (5), CONNECTIONS (64),
# RB_REQUESTS redis-benchmark requests (800000, about 10 s), SHAPE compact|full (compact: about 1.5 KB per
# list, reasons on repurchase items only; full: source and reason on every item as the batch writes them,
# about 2.5 KB), SERVER_JAVA_OPTS (default -XX:+UseSerialGC, for both servers),
# KEEP=1 keeps the work directory (logs, wrk output) for a look afterwards.
#
# Customer ids are 12-digit zero-padded numbers, which is what redis-benchmark's __rand_int__ expands to,
# so `redis-benchmark -r CUSTOMERS GET weekly_recs:<run>:__rand_int__` reads the same keys as wrk.
# Targets (2 cores, load generator included, no errors):
#   cache off: >= 0.35 x redis-benchmark GET requests/s, p99 <= 5 ms;
#   cache on:  >= 0.60 x constant-bytes requests/s,     p99 <= 3 ms.
set -euo pipefail

CUSTOMERS=${1:-100000}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-5}
CONNECTIONS=${CONNECTIONS:-64}
RB_REQUESTS=${RB_REQUESTS:-800000}
SHAPE=${SHAPE:-compact}
# Serial GC by default: on 2 cores shared with the load generator, its young pauses (a few ms, live data
# small besides the cache) hurt the tail far less than G1's or Parallel's under CPU contention.
SERVER_JAVA_OPTS=${SERVER_JAVA_OPTS:--XX:+UseSerialGC}
RUN=bench_2011_W49

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/serving-bench.XXXXXX)
PIDS=()

log() { echo "[$(date +%T)] $*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ "${KEEP:-0}" == 1 ]]; then
    echo "work directory kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. tools and classes ---------------------------------------------------------------------------
cd "$ROOT"
# shellcheck source=bench/lib.sh
source bench/lib.sh
serving_bench_setup "$WORK"

# --- 2. a throw-away Redis --------------------------------------------------------------------------
REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --protected-mode yes \
  --dir "$WORK" --logfile "$WORK/redis.log" --daemonize no &
PIDS+=($!)
RCLI=(redis-cli -h 127.0.0.1 -p "$REDIS_PORT")
wait_for "${RCLI[@]}" ping

# --- 3. load ----------------------------------------------------------------------------------------
log "loading $CUSTOMERS customer lists"
java -cp "$CP" com.shoprec.serving.bench.BenchLoad 127.0.0.1 "$REDIS_PORT" "$RUN" "$CUSTOMERS" \
  "$WORK/sample.json" "$SHAPE" | tee "$WORK/load.txt" >&2
MEAN_BYTES=$(sed -n 's/.*mean \([0-9]*\) bytes.*/\1/p' "$WORK/load.txt")

# --- wrk scripts ------------------------------------------------------------------------------------
# Uniform random customers; requests pre-formatted in init() so Lua costs little per request. done()
# prints one machine-readable line: requests, duration (us), p50 and p99 (us), errors.
cat >"$WORK/random.lua" <<EOF
local n = $CUSTOMERS
local requests = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
  for i = 0, n - 1 do
    requests[i + 1] = wrk.format("GET", string.format("/customers/%012d/recommendations", i))
  end
end
function request()
  return requests[math.random(1, n)]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
# Warm-up of the cache: every customer once, in order, split over the threads; each thread stops when
# its share is answered.
cat >"$WORK/sequential.lua" <<EOF
local n = $CUSTOMERS
local threads = 0
function setup(thread)
  thread:set("thread_no", threads)
  threads = threads + 1
end
local next_id, answered, share, step
function init(args)
  step = 2
  next_id = thread_no
  answered = 0
  share = math.floor((n - thread_no + step - 1) / step)
end
function request()
  local id = next_id % n
  next_id = next_id + step
  return wrk.format("GET", string.format("/customers/%012d/recommendations", id))
end
function response(status, headers, body)
  answered = answered + 1
  if answered >= share then
    wrk.thread:stop()
  end
end
EOF

# run_wrk NAME PORT SECONDS SCRIPT: wrk output in $WORK/NAME.wrk; prints its RESULT line.
run_wrk() {
  local name=$1 port=$2 seconds=$3 script=$4
  timeout $((seconds + 15)) wrk -t2 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s --latency \
    -s "$script" "http://127.0.0.1:$port/" >"$WORK/$name.wrk" 2>&1 || true
  grep '^RESULT' "$WORK/$name.wrk" || echo "RESULT 0 1 0 0 0 0 0 1 0"
}

RESULTS=()   # "label|rps|p50_ms|p99_ms|errors"
record() {   # record LABEL RESULT-LINE
  local label=$1
  read -r _ req dur p50 p99 ec er ew es et <<<"$2"
  RESULTS+=("$label|$(awk -v r="$req" -v d="$dur" 'BEGIN{printf "%.0f", r*1e6/d}')|$(awk -v v="$p50" 'BEGIN{printf "%.2f", v/1000}')|$(awk -v v="$p99" 'BEGIN{printf "%.2f", v/1000}')|$((ec + er + ew + es + et))")
}

LOADS=()
sample_load() { LOADS+=("$1: $(cut -d' ' -f1-3 /proc/loadavg)"); }

# --- 4. redis-benchmark GET of the same keys --------------------------------------------------------
sample_load "before"
HITS0=$("${RCLI[@]}" info stats | sed -n 's/^keyspace_hits:\([0-9]*\).*/\1/p')
MISS0=$("${RCLI[@]}" info stats | sed -n 's/^keyspace_misses:\([0-9]*\).*/\1/p')
log "redis-benchmark: $RB_REQUESTS GETs, $CONNECTIONS connections, random among $CUSTOMERS keys"
timeout 25 redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$CONNECTIONS" -n "$RB_REQUESTS" \
  -r "$CUSTOMERS" --csv GET "weekly_recs:$RUN:__rand_int__" >"$WORK/redis-benchmark.csv" 2>&1 || true
HITS1=$("${RCLI[@]}" info stats | sed -n 's/^keyspace_hits:\([0-9]*\).*/\1/p')
MISS1=$("${RCLI[@]}" info stats | sed -n 's/^keyspace_misses:\([0-9]*\).*/\1/p')
sample_load "after redis-benchmark"
# "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
RB_LINE=$(grep -v '"test"' "$WORK/redis-benchmark.csv" | grep '^"' | tail -1 | tr -d '"')
if [[ -z "$RB_LINE" ]]; then
  cat "$WORK/redis-benchmark.csv" >&2
  echo "redis-benchmark gave no result" >&2
  exit 1
fi
IFS=, read -r _ rb_rps _ _ rb_p50 _ rb_p99 _ <<<"$RB_LINE"
RB_MISSES=$((MISS1 - MISS0))
RESULTS+=("redis-benchmark GET|$(printf '%.0f' "$rb_rps")|$rb_p50|$rb_p99|$RB_MISSES")
RB_RPS=$(printf '%.0f' "$rb_rps")
log "redis-benchmark: $RB_RPS requests/s, $((HITS1 - HITS0)) hits, $RB_MISSES misses"

# --- 5. constant-bytes Undertow ---------------------------------------------------------------------
CONST_PORT=$(free_port)
java $SERVER_JAVA_OPTS -cp "$CP" com.shoprec.serving.bench.ConstantBytesServer "$CONST_PORT" "$WORK/sample.json" \
  >"$WORK/constant.log" 2>&1 &
CONST_PID=$!
PIDS+=("$CONST_PID")
wait_for curl -sf -o /dev/null "http://127.0.0.1:$CONST_PORT/customers/000000000000/recommendations"
log "constant-bytes Undertow: warm-up ${WARMUP}s, then ${DURATION}s"
run_wrk constant-warmup "$CONST_PORT" "$WARMUP" "$WORK/random.lua" >/dev/null
record "constant-bytes Undertow" "$(run_wrk constant "$CONST_PORT" "$DURATION" "$WORK/random.lua")"
sample_load "after constant-bytes"
kill "$CONST_PID"; wait "$CONST_PID" 2>/dev/null || true
CONST_RPS=$(cut -d'|' -f2 <<<"${RESULTS[-1]}")

# --- 6. the real server, cache off and on -----------------------------------------------------------
CHECKS=()
# start_server NAME [JAVA OPTIONS...]: starts the server jar, sets SERVER_PORT and SERVER_PID.
start_server() {
  local name=$1
  shift
  SERVER_PORT=$(free_port)
  java $SERVER_JAVA_OPTS "$@" -jar "$WORK/server.jar" --port "$SERVER_PORT" \
    --redis-url "redis://127.0.0.1:$REDIS_PORT" >"$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for curl -sf -o /dev/null "http://127.0.0.1:$SERVER_PORT/health"
}

# check_bytes NAME: the first answer is 200 and byte-for-byte the stored payload.
check_bytes() {
  local name=$1 id status
  id=$(printf '%012d' $((CUSTOMERS / 2)))
  status=$(curl -s -o "$WORK/$name.body" -w '%{http_code}' "http://127.0.0.1:$SERVER_PORT/customers/$id/recommendations")
  "${RCLI[@]}" --no-raw get "weekly_recs:$RUN:$id" >/dev/null  # fails loudly if Redis is gone
  "${RCLI[@]}" get "weekly_recs:$RUN:$id" | head -c -1 >"$WORK/$name.stored"
  if [[ "$status" == 200 ]] && cmp -s "$WORK/$name.body" "$WORK/$name.stored"; then
    CHECKS+=("$name: first answer 200, $(wc -c <"$WORK/$name.body") bytes, identical to Redis")
  else
    CHECKS+=("$name: first answer $status, body DIFFERS from Redis ($(wc -c <"$WORK/$name.body") vs $(wc -c <"$WORK/$name.stored") bytes)")
    BYTES_OK=0
  fi
}

metric() {  # metric NAME: value of an unlabelled counter from /metrics
  curl -s "http://127.0.0.1:$SERVER_PORT/metrics" | awk -v m="$1" '$1 == m {printf "%.0f", $2}'
}

BYTES_OK=1
start_server cache-off -Dshoprec.serving.cache-size=0
check_bytes "cache off"
log "server, cache off: warm-up ${WARMUP}s, then ${DURATION}s"
run_wrk off-warmup "$SERVER_PORT" "$WARMUP" "$WORK/random.lua" >/dev/null
record "server, cache off" "$(run_wrk off "$SERVER_PORT" "$DURATION" "$WORK/random.lua")"
sample_load "after cache off"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

start_server cache-on
check_bytes "cache on"
log "server, cache on: warm-up (every customer once, at most 12 s), then ${DURATION}s"
# wrk waits out -d even when every thread has stopped, so the bound is also the warm-up's length.
run_wrk on-warmup "$SERVER_PORT" 12 "$WORK/sequential.lua" >/dev/null
ENTRIES=$(curl -s "http://127.0.0.1:$SERVER_PORT/metrics" | awk '$1 == "shoprec_cache_entries" {printf "%.0f", $2}')
H0=$(metric shoprec_cache_hits_total); M0=$(metric shoprec_cache_misses_total)
record "server, cache on" "$(run_wrk on "$SERVER_PORT" "$DURATION" "$WORK/random.lua")"
H1=$(metric shoprec_cache_hits_total); M1=$(metric shoprec_cache_misses_total)
sample_load "after cache on"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
if [[ -n "$H1" && -n "$M1" ]] && ((H1 + M1 - H0 - M0 > 0)); then
  HIT_RATE=$(awk -v h=$((H1 - H0)) -v m=$((M1 - M0)) 'BEGIN{printf "%.1f%%", 100*h/(h+m)}')
else
  HIT_RATE="unknown"
fi

# --- 7. the table -----------------------------------------------------------------------------------
echo
echo "Serving benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $CUSTOMERS customers, mean payload $MEAN_BYTES bytes ($SHAPE),"
echo "$CONNECTIONS connections, wrk -t2 ${DURATION}s after ${WARMUP}s warm-up, uniform random customers"
printf '%-24s %10s %8s %8s %7s %7s %-30s %s\n' setup "requests/s" "p50 ms" "p99 ms" errors ratio target result
FAILED=0
for row in "${RESULTS[@]}"; do
  IFS='|' read -r label rps p50 p99 errors <<<"$row"
  ratio="" target="" verdict=""
  case "$label" in
    "server, cache off")
      ratio=$(awk -v a="$rps" -v b="$RB_RPS" 'BEGIN{printf "%.2f", a/b}')
      target=">=0.35 x redis, p99<=5, 0 err"
      verdict=$(awk -v r="$ratio" -v p="$p99" -v e="$errors" 'BEGIN{print (r>=0.35 && p<=5 && e==0) ? "PASS" : "FAIL"}') ;;
    "server, cache on")
      ratio=$(awk -v a="$rps" -v b="$CONST_RPS" 'BEGIN{printf "%.2f", a/b}')
      target=">=0.60 x constant, p99<=3, 0 err"
      verdict=$(awk -v r="$ratio" -v p="$p99" -v e="$errors" 'BEGIN{print (r>=0.6 && p<=3 && e==0) ? "PASS" : "FAIL"}') ;;
    "redis-benchmark GET") target="(floor; errors = key misses)" ;;
    *) target="(ceiling)" ;;
  esac
  [[ "$verdict" == FAIL ]] && FAILED=1
  printf '%-24s %10s %8s %8s %7s %7s %-30s %s\n' "$label" "$rps" "$p50" "$p99" "$errors" "$ratio" "$target" "$verdict"
done
echo "checks: ${CHECKS[*]/%/;}"
echo "cache on: $ENTRIES entries after warm-up, hit rate during the measurement $HIT_RATE"
echo "load average (1, 5, 15 min): ${LOADS[*]/%/;}"
((BYTES_OK)) || FAILED=1
exit "$FAILED"
