#!/usr/bin/env bash
# Runs the whole product on this machine: builds when needed, starts embedded Redis and Postgres unless
# REDIS_URL and DATABASE_URL name running ones, runs the weekly batch, serves on $PORT (default 8080).
#
#   ./run-local.sh                         batch over the bundled sample, then serve; Ctrl-C stops everything
#   ./run-local.sh --input FILE [--as-of DATE] [job options…]
#   ./run-local.sh --batch-only [job options…]   run the batch against the stores and exit with its status
#   ./run-local.sh --serve-only                  only serve what the stores hold
#
# Job options are passed through (e.g. --limit 100, --dry-run, --week 2011_W49, --set key=value, --verbose for
# Spark's and the job's INFO logging on the terminal); see `./run-local.sh --batch-only --help`. The batch's full
# log goes to $LOCAL_DIR/logs/ (default .local/logs/), the embedded stores' to $LOCAL_DIR/stores.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
PORT="${PORT:-8080}"
LOCAL_DIR="${SHOPREC_LOCAL_DIR:-$ROOT/.local}"
# Ports of the embedded stores; 0 picks free ones (their data is kept in $LOCAL_DIR whatever the port).
LOCAL_REDIS_PORT="${LOCAL_REDIS_PORT:-0}"
LOCAL_POSTGRES_PORT="${LOCAL_POSTGRES_PORT:-0}"
SAMPLE="$ROOT/sample/online-retail-sample.csv.gz"

mode=all
input=""
job_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --batch-only) mode=batch ;;
    --serve-only) mode=serve ;;
    --input) input="${2:?--input needs a file}"; shift ;;
    --input=*) input="${1#--input=}" ;;
    *) job_args+=("$1") ;;
  esac
  shift
done
if [[ -z "$input" ]]; then
  input="$SAMPLE"
fi

# Spark on Java 17 needs these (the list spark-submit adds, from Spark's JavaModuleOptions); one per line.
mapfile -t SPARK_JAVA_OPTS < "$ROOT/conf/spark-java17.jvmopts"

job_jar() { ls "$ROOT"/spark-jobs/target/shoprec-spark-jobs-*-job.jar 2>/dev/null | head -1; }
server_jar() { ls "$ROOT"/serving/target/shoprec-serving-*-server.jar 2>/dev/null | head -1; }

build_if_needed() {
  local stale=""
  if [[ -z "$(job_jar)" || -z "$(server_jar)" || ! -f testkit/target/lib/embedded-redis-1.4.3.jar \
        || ! -f spark-jobs/target/local-classpath.txt ]]; then
    stale=yes
  elif [[ -n "$(find common spark-jobs serving testkit pom.xml -newer "$(job_jar)" \
        \( -name '*.java' -o -name '*.conf' -o -name 'pom.xml' -o -name '*.sql' \) -not -path '*/target/*' -print -quit)" ]]; then
    stale=yes
  fi
  if [[ -n "$stale" ]]; then
    echo "== building (mvn package, tests skipped; ./run-local.sh rebuilds when sources change)"
    mvn -B -q -ntp -DskipTests package
  fi
}

pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_stores() {
  if [[ -n "${REDIS_URL:-}" && -n "${DATABASE_URL:-}" ]]; then
    echo "== using REDIS_URL and DATABASE_URL from the environment"
    return
  fi
  if [[ -n "${REDIS_URL:-}" || -n "${DATABASE_URL:-}" ]]; then
    echo "error: set both REDIS_URL and DATABASE_URL to use external stores, or neither for embedded ones" >&2
    exit 2
  fi
  mkdir -p "$LOCAL_DIR"
  echo "== starting embedded Redis and Postgres, data in $LOCAL_DIR"
  local log="$LOCAL_DIR/stores.log"
  java -cp "testkit/target/classes:testkit/target/lib/*" com.shoprec.testkit.EmbeddedStores \
    "$LOCAL_DIR/stores" "$LOCAL_REDIS_PORT" "$LOCAL_POSTGRES_PORT" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do
    if grep -q '^READY' "$log" 2>/dev/null; then
      export REDIS_URL DATABASE_URL
      REDIS_URL="$(sed -n 's/^REDIS_URL=//p' "$log")"
      DATABASE_URL="$(sed -n 's/^DATABASE_URL=//p' "$log")"
      echo "   REDIS_URL=$REDIS_URL DATABASE_URL=$DATABASE_URL"
      return
    fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "error: the embedded stores did not start; see $log" >&2
      tail -20 "$log" >&2
      exit 4
    fi
    sleep 0.5
  done
  echo "error: the embedded stores did not start within 60 s; see $log" >&2
  exit 4
}

run_batch() {
  mkdir -p "$LOCAL_DIR/logs"
  local log
  log="$LOCAL_DIR/logs/batch-$(date +%Y%m%d-%H%M%S).log"
  echo "== batch: $input ${job_args[*]:-}"
  # Spark binds to the loopback here (and does not warn that the host name resolves to it).
  SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" java -Xmx${SHOPREC_DRIVER_MEMORY:-4g} "${SPARK_JAVA_OPTS[@]}" \
    -cp "$(job_jar):$(cat spark-jobs/target/local-classpath.txt)" \
    com.shoprec.jobs.RecommendationJob --config conf/local.conf --input "$input" --log-file "$log" "${job_args[@]}"
}

serve() {
  mkdir -p "$LOCAL_DIR/logs"
  local log
  log="$LOCAL_DIR/logs/server-$(date +%Y%m%d-%H%M%S).log"
  echo "== serving on http://127.0.0.1:$PORT (Ctrl-C stops; log $log)"
  # SerialGC: on a small host its young pauses are a few ms where G1's reached tens (docs/operations.md).
  # Its settings and Undertow's start-up lines go to the log, not the terminal.
  PORT="$PORT" java -XX:+UseSerialGC -jar "$(server_jar)" --port "$PORT" >>"$log" 2>&1 &
  pids+=($!)
  local server=$!
  for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server" 2>/dev/null; then
      echo "error: the server did not start; see $log" >&2
      tail -20 "$log" >&2
      exit 1
    fi
    sleep 0.5
  done
  local customer
  # An active customer for the examples: the one on the input's last line.
  customer="$( (zcat -f "$input" 2>/dev/null || true) | awk -F, 'NR>1 {c=$2} END {print c}')"
  cat <<EOT

Try:
  curl -s http://127.0.0.1:$PORT/health
  curl -s http://127.0.0.1:$PORT/customers/${customer:-12348}/recommendations
  curl -s 'http://127.0.0.1:$PORT/customers/${customer:-12348}/recommendations?limit=5'
  curl -s http://127.0.0.1:$PORT/customers/no-such-customer/recommendations   # popular list, marked fallback
  curl -s http://127.0.0.1:$PORT/customers/${customer:-12348}   # who the customer is
  curl -s http://127.0.0.1:$PORT/popular
  curl -s http://127.0.0.1:$PORT/stats
  curl -s http://127.0.0.1:$PORT/openapi.json   # every route, described

EOT
  wait "$server"
}

build_if_needed
start_stores
case "$mode" in
  batch) run_batch ;;
  serve) serve ;;
  all) run_batch; serve ;;
esac
