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
echo "compiling spark-jobs test classes" >&2
mvn -B -o -q -pl spark-jobs test-compile
mvn -B -o -q -pl spark-jobs dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt >/dev/null
# The --add-opens list Spark needs on Java 17, from the parent pom.
OPENS=$(sed -n 's:.*<spark.test.jvm.opens>\(.*\)</spark.test.jvm.opens>.*:\1:p' pom.xml)
# Copies of the compiled classes: other builds may clean spark-jobs/target while the bench runs.
cp -r spark-jobs/target/classes "$WORK/classes"
cp -r spark-jobs/target/test-classes "$WORK/test-classes"
CP="$WORK/test-classes:$WORK/classes:$(cat spark-jobs/target/test-classpath.txt)"

echo "$(nproc) cores; input $INPUT" >&2
# shellcheck disable=SC2086
timeout "$BENCH_TIMEOUT" java -Xmx6g $OPENS -cp "$CP" com.shoprec.jobs.model.JaccardNeighboursBench \
  --input "$INPUT" --partitions "$PARTITIONS"
