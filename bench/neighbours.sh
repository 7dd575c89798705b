#!/usr/bin/env bash
# Jaccard neighbours on the whole shared Online Retail file: candidate pairs, caps, wall time,
# customers/second and recall against brute force, for the default caps, a buyer cap of 100, and the
# uncapped inverted index (the baseline), on Spark local[2].
#
#   bench/neighbours.sh [ORDERS_CSV_GZ]   (default ../shared/data/online-retail/orders.csv.gz)
#
# Environment: PARTITIONS (shuffle partitions, 4), BENCH_TIMEOUT seconds (1800).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
INPUT=${1:-$ROOT/../shared/data/online-retail/orders.csv.gz}
PARTITIONS=${PARTITIONS:-4}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}
[[ -f "$INPUT" ]] || { echo "no orders file at $INPUT" >&2; exit 1; }
INPUT=$(cd "$(dirname "$INPUT")" && pwd)/$(basename "$INPUT")

WORK=$(mktemp -d /tmp/neighbours-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM

cd "$ROOT"
source "$ROOT/bench/lib.sh"
spark_jobs_test_classpath "$WORK"

echo "$(nproc) cores; input $INPUT" >&2
# shellcheck disable=SC2086
timeout "$BENCH_TIMEOUT" java -Xmx6g $OPENS -cp "$CP" com.shoprec.jobs.model.signals.JaccardNeighboursBench \
  --input "$INPUT" --partitions "$PARTITIONS"
