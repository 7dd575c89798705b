#!/usr/bin/env bash
# Redis write throughput: spark-redis's toRedisKV vs RedisPublisher.write (plain pipelined SETs in
# foreachPartition), both on Spark local[2], next to redis-benchmark's pipelined SET on the same machine.
#
#   bench/redis-write.sh [KEYS]        (default 200000; ~1.2 KB values; loopback only)
#   ITEMS=40 bench/redis-write.sh 50000   (~5 KB values, the job's mean value size at 2 M and 10 M lines)
#
# Starts a throw-away redis-server (no RDB, no AOF) on a free 127.0.0.1 port, stopped on exit: the first
# redis-server on PATH (put the embedded one's directory first to measure that server).
# Environment: ROUNDS (5, median; plus one warm-up), PARTITIONS (4), BATCH (1000), ITEMS per list (8),
# BENCH_TIMEOUT seconds (900), BENCH_JAVA_OPTS more options for the benchmark's JVM.
#
# redis-benchmark flags: -P 16 pipelines 16 requests per round trip; -t set only SET; -d values of the
# generated payloads' mean size; -n KEYS requests; -r KEYS random keys from a keyspace of KEYS (so it
# writes keys, not one key over and over); -c 8 eight connections (its default 50 would flood 2 cores);
# -q one line of output.
set -euo pipefail

KEYS=${1:-200000}
ROUNDS=${ROUNDS:-5}
PARTITIONS=${PARTITIONS:-4}
BATCH=${BATCH:-1000}
ITEMS=${ITEMS:-8}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/redis-write-bench.XXXXXX)
REDIS_PID=

cleanup() {
  if [[ -n "$REDIS_PID" ]] && kill -0 "$REDIS_PID" 2>/dev/null; then
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  echo "installing redis-server and redis-tools" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no --protected-mode yes \
  --dir "$WORK" --logfile "$WORK/redis.log" --daemonize no &
REDIS_PID=$!
for _ in $(seq 50); do
  redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null

cd "$ROOT"
source "$ROOT/bench/lib.sh"
spark_jobs_test_classpath "$WORK"

echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$PORT; $(nproc) cores" >&2
# shellcheck disable=SC2086
timeout "$BENCH_TIMEOUT" java -Xmx4g ${BENCH_JAVA_OPTS:-} $OPENS -cp "$CP" com.shoprec.jobs.store.redis.RedisWriteBench \
  --port "$PORT" --keys "$KEYS" --partitions "$PARTITIONS" --rounds "$ROUNDS" --batch "$BATCH" --items "$ITEMS" \
  | tee "$WORK/java.out" | grep -v -e '^RESULT' -e '^REFUSED' >&2

redis-cli -h 127.0.0.1 -p "$PORT" flushall >/dev/null
VALUE_BYTES=$(sed -n 's/.*avg_value_bytes=\([0-9]*\).*/\1/p' "$WORK/java.out")
BENCH_CMD="redis-benchmark -h 127.0.0.1 -p $PORT -P 16 -t set -d $VALUE_BYTES -n $KEYS -r $KEYS -q -c 8"
echo "$BENCH_CMD" >&2
REF=$(timeout "$BENCH_TIMEOUT" $BENCH_CMD 2>/dev/null | tr '\r' '\n' | grep '^SET:' | tail -1 \
  | sed 's/^SET: *\([0-9.]*\) requests per second.*/\1/')
[[ -n "$REF" ]] || { echo "redis-benchmark gave no SET figure" >&2; exit 1; }

echo
printf '%-60s %12s %10s\n' "method ($KEYS keys, $VALUE_BYTES B mean value)" "keys/s" "vs bench"
printf '%-60s %12.0f %10s\n' "redis-benchmark -P 16 -c 8 SET" "$REF" "1.00"
grep '^RESULT' "$WORK/java.out" | while IFS=$'\t' read -r _ method rate; do
  printf '%-60s %12.0f %10.2f\n' "$method" "$rate" "$(awk -v a="$rate" -v b="$REF" 'BEGIN { print a / b }')"
done
echo
echo "when Redis refuses SETs (maxmemory a quarter of the data):"
grep '^REFUSED' "$WORK/java.out" | cut -f2- | sed 's/\t/: /; s/^/  /'
