#!/usr/bin/env bash
# EASE's inversion on the driver: seconds per product count (shoprec.job.ease.max-products) through the LAPACK
# the job gets on this machine (native when liblapack.so.3 is installed, e.g. Debian's liblapack3) and through
# netlib's pure-Java LAPACK (the fallback where it is not), with the ratio of the two.
#
#   bench/ease.sh [PRODUCTS...]   (default 1000 2000 3000 5000)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/ease-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM

cd "$ROOT"
echo "compiling spark-jobs test classes" >&2
mvn -B -o -q -pl spark-jobs test-compile
mvn -B -o -q -pl spark-jobs dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/classpath.txt" >/dev/null
cp -r spark-jobs/target/classes "$WORK/classes"
cp -r spark-jobs/target/test-classes "$WORK/test-classes"
java -Xmx6g -cp "$WORK/test-classes:$WORK/classes:$(cat "$WORK/classpath.txt")" com.shoprec.jobs.model.EaseBench "$@"
