#!/usr/bin/env bash
# EASE's inversion on the driver: seconds per product count (shoprec.job.ease.max-products) through the LAPACK
# the job gets on this machine (native when liblapack.so.3 is installed, e.g. Debian's liblapack3) and through
# netlib's pure-Java LAPACK (the fallback where it is not), with the ratio of the two; then the same for next-new's
# solve (a Cholesky factorization and n right-hand sides), the other driver step of that size.
#
#   bench/ease.sh [PRODUCTS...]   (default 1000 2000 3000 5000)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/ease-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM

cd "$ROOT"
source "$ROOT/bench/lib.sh"
spark_jobs_test_classpath "$WORK"
java -Xmx6g -cp "$CP" com.shoprec.jobs.model.signals.EaseBench "$@"
