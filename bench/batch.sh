#!/usr/bin/env bash
# The whole weekly batch on one input (default: the shared Online Retail file), end to end into embedded
# Redis and Postgres, on local[2]: wall time per stage, with the models at the same time (FAIR pools) and
# one after another, and the ratio.
#
#   bench/batch.sh [ORDERS_FILE]
#
# Builds the jars if missing. Starts throw-away embedded stores (data in a temp dir), stops them on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
INPUT="${1:-$ROOT/../shared/data/online-retail/orders.csv.gz}"
MASTER="${MASTER:-local[2]}"
[[ -f "$INPUT" ]] || { echo "no input at $INPUT (../shared/data beside the repository)" >&2; exit 2; }

JOB_JAR="$(ls spark-jobs/target/shoprec-spark-jobs-*-job.jar 2>/dev/null | head -1 || true)"
if [[ -z "$JOB_JAR" || ! -f spark-jobs/target/local-classpath.txt || ! -d testkit/target/lib ]]; then
  mvn -B -q -DskipTests package
  JOB_JAR="$(ls spark-jobs/target/shoprec-spark-jobs-*-job.jar | head -1)"
fi
mapfile -t OPTS < conf/spark-java17.jvmopts

WORK="$(mktemp -d /tmp/shoprec-batch-bench.XXXXXX)"
STORES_PID=
cleanup() {
  [[ -n "$STORES_PID" ]] && kill "$STORES_PID" 2>/dev/null && wait "$STORES_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
java -cp "testkit/target/classes:testkit/target/lib/*" com.shoprec.testkit.EmbeddedStores \
  "$WORK/stores" "$(free_port)" "$(free_port)" > "$WORK/stores.log" 2>&1 &
STORES_PID=$!
for _ in $(seq 1 120); do grep -q '^READY' "$WORK/stores.log" 2>/dev/null && break; sleep 0.5; done
REDIS_URL="$(sed -n 's/^REDIS_URL=//p' "$WORK/stores.log")"
DATABASE_URL="$(sed -n 's/^DATABASE_URL=//p' "$WORK/stores.log")"

run() {
  # The job's log (its INFO lines and the metrics lines read here) in job-*.log; the terminal's output in job-*.out.
  local parallel="$1" log="$WORK/job-$1.log" start end
  start=$(date +%s.%N)
  java -Xmx6g "${OPTS[@]}" -Dspark.master="$MASTER" -cp "$JOB_JAR:$(cat spark-jobs/target/local-classpath.txt)" \
    com.shoprec.jobs.RecommendationJob --input "$INPUT" --redis-url "$REDIS_URL" --database-url "$DATABASE_URL" \
    --set shoprec.job.parallel-models="$parallel" --log-file "$log" > "$WORK/job-$1.out" 2>&1 \
    || { tail -30 "$WORK/job-$1.out" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$(python3 -c "print(round($end - $start, 1))")" > "$WORK/wall-$parallel"
  grep -o 'published run .*' "$log" | sed 's/^/  /'
  sed -n 's/^.*stage timings (ms): //p' "$log" > "$WORK/stages-$parallel"
}

echo "input: $INPUT ($MASTER, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
run true
run false
python3 - "$WORK" <<'PY'
import sys, re, os
work = sys.argv[1]
def stages(p):
    text = open(os.path.join(work, f"stages-{p}")).read().strip().strip("{}")
    return {k.strip(): int(v) for k, v in (kv.split("=") for kv in text.split(", "))}
par, seq = stages("true"), stages("false")
wall = {p: float(open(os.path.join(work, f"wall-{p}")).read()) for p in ("true", "false")}
print(f"\n{'stage':<16}{'parallel s':>12}{'sequential s':>14}")
for k in seq:
    print(f"{k:<16}{par.get(k, 0)/1000:>12.1f}{seq[k]/1000:>14.1f}")
models = ["segments", "popularity", "neighbours", "als", "cooccurrence", "ease", "next-new", "audience"]
mp = max(par[k] for k in models if k in par) / 1000  # models overlap: the longest one bounds the phase
ms = sum(seq[k] for k in models if k in seq) / 1000
print(f"\nmodels phase: parallel {mp:.1f} s (longest model), sequential {ms:.1f} s (sum), ratio {ms/mp:.2f}x")
print(f"whole job (JVM start to exit): parallel {wall['true']:.1f} s, sequential {wall['false']:.1f} s, "
      f"ratio {wall['false']/wall['true']:.2f}x")
PY
