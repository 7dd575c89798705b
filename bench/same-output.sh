#!/usr/bin/env bash
# Does the working tree publish exactly what BASE_REV published? (issue #23) Builds BASE_REV's job jar in a temporary
# git worktree and the working tree's jar, runs each job on INPUT with the same fixed --as-of, JVM flags
# (conf/spark-java17.jvmopts, -Dspark.master=local[2]) and settings, each into its own fresh embedded Redis and
# Postgres, dumps both published runs with com.shoprec.testkit.PublishedOutput (every run_id table, every Redis key,
# run-specific values normalized) and compares them byte for byte.
#
#   bench/same-output.sh [--repeat] [--settings FILE] BASE_REV [INPUT]
#   bench/same-output.sh --record [--repeat] [--settings FILE] [--out FILE] BASE_REV INPUT
#
# INPUT: default ../shared/data/online-retail/orders.csv.gz beside the repository (or beside the main worktree
# when this is a linked one; SHOPREC_SHARED_DATA overrides ../shared/data); sample/online-retail-sample.csv.gz is
# the bundled sample. Prints a report per table and Redis key kind, timings, and a last line IDENTICAL or
# DIFFERENT: <parts>; exits 0 only when identical (1 different, 2 could not compare).
#
# --repeat  also runs BASE_REV a second time: parts that differ between its two runs are reported as nondeterministic
#           run to run rather than as differences of the working tree.
# --settings FILE  extra JVM flags ("jvm FLAG" lines) and job arguments ("job ARG" lines); default none (the job's
#           defaults), with --record the published-output IT's settings (PUBLISHED_OUTPUT_SETTINGS below).
# --record  runs only BASE_REV and writes the digests of its dump (row/key count and SHA-256 per part) with the
#           commit, input, as-of and settings it was made with, to --out (default: the IT's reference,
#           PUBLISHED_OUTPUT_REFERENCE below). With --repeat, refuses to record a nondeterministic output.
# Environment: AS_OF (default: the day after the input's last ts), JOB_XMX (default 6g; a settings file's -Xmx
# wins), KEEP=1 keeps the temporary directory (dumps, logs).
#
# Never "mvn install": both builds are "mvn -q -DskipTests package" in their own tree, so ~/.m2 is left as it is.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PUBLISHED_OUTPUT_SETTINGS=spark-jobs/src/test/resources/published-output/sample.settings
PUBLISHED_OUTPUT_REFERENCE=spark-jobs/src/test/resources/published-output/sample.digests

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
RECORD=0 REPEAT=0 SETTINGS="" OUT=""
while [[ $# -gt 0 && "$1" == --* ]]; do
  case "$1" in
    --record) RECORD=1 ;;
    --repeat) REPEAT=1 ;;
    --settings) SETTINGS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    *) usage ;;
  esac
  shift
done
[[ $# -ge 1 && $# -le 2 ]] || usage
BASE_REV="$1"
if [[ $# -eq 2 ]]; then
  INPUT="$2"
elif [[ $RECORD == 1 ]]; then
  usage
else
  SHARED="${SHOPREC_SHARED_DATA:-$ROOT/../shared/data}"
  MAIN_TREE="$(cd "$(git rev-parse --git-common-dir)/.." && pwd)"
  [[ -d "$SHARED" || -n "${SHOPREC_SHARED_DATA:-}" ]] || SHARED="$MAIN_TREE/../shared/data"
  INPUT="$SHARED/online-retail/orders.csv.gz"
fi
[[ -f "$INPUT" ]] || { echo "no input at $INPUT" >&2; exit 2; }
INPUT="$(realpath "$INPUT")"
BASE_SHA="$(git rev-parse --verify "$BASE_REV^{commit}")" || { echo "unknown revision $BASE_REV" >&2; exit 2; }
[[ $RECORD == 1 && -z "$SETTINGS" ]] && SETTINGS="$PUBLISHED_OUTPUT_SETTINGS"
[[ $RECORD == 1 && -z "$OUT" ]] && OUT="$PUBLISHED_OUTPUT_REFERENCE"

JVM_SETTINGS=() JOB_SETTINGS=()
if [[ -n "$SETTINGS" ]]; then
  [[ -f "$SETTINGS" ]] || { echo "no settings file $SETTINGS" >&2; exit 2; }
  while read -r kind value; do
    case "$kind" in
      jvm) JVM_SETTINGS+=("$value") ;;
      job) JOB_SETTINGS+=("$value") ;;
      ''|'#'*) ;;
      *) echo "$SETTINGS: a line is 'jvm FLAG', 'job ARG' or a # comment, not: $kind $value" >&2; exit 2 ;;
    esac
  done < "$SETTINGS"
fi
mapfile -t OPTS < <(grep -v '^\s*\(#\|$\)' conf/spark-java17.jvmopts)
JVM=(-Xmx"${JOB_XMX:-6g}" "${OPTS[@]}" "${JVM_SETTINGS[@]}" -Dspark.master='local[2]')

# The day after the last ts (the job's default as-of, up to rejected rows): fixed once, passed to every run.
if [[ -z "${AS_OF:-}" ]]; then
  AS_OF="$(python3 - "$INPUT" <<'PY'
import csv, datetime, gzip, sys
path = sys.argv[1]
with (gzip.open(path, "rt", newline="") if path.endswith(".gz") else open(path, newline="")) as f:
    rows = csv.reader(f)
    ts = next(rows).index("ts")
    last = max(r[ts][:10] for r in rows if len(r) > ts and r[ts])
print(datetime.date.fromisoformat(last) + datetime.timedelta(days=1))
PY
)"
fi

WORK="$(mktemp -d /tmp/shoprec-same-output.XXXXXX)"
STORES_PID=
cleanup() {
  if [[ -n "$STORES_PID" ]]; then kill "$STORES_PID" 2>/dev/null && wait "$STORES_PID" 2>/dev/null || true; fi
  if [[ -d "$WORK/base-src" ]]; then git -C "$ROOT" worktree remove --force "$WORK/base-src" 2>/dev/null || true; fi
  git -C "$ROOT" worktree prune 2>/dev/null || true
  if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
took() { python3 -c "print(f'{$(now) - $1:.1f}')"; }

# build SRC DEST MODULES: "mvn package" in the tree SRC, then the job jar, its classpath and testkit's classes copied
# to DEST (the tree's target/ may be rebuilt or, for BASE_REV, removed meanwhile).
build() {
  local src=$1 dest=$2 modules=$3 start
  start=$(now)
  (cd "$src" && mvn -B -q -DskipTests package -pl "$modules" -am) > "$dest.build.log" 2>&1 \
    || { tail -40 "$dest.build.log" >&2; echo "build of $src failed" >&2; exit 2; }
  mkdir -p "$dest"
  if [[ "$modules" == *spark-jobs* ]]; then
    cp "$(ls "$src"/spark-jobs/target/shoprec-spark-jobs-*-job.jar | head -1)" "$dest/job.jar"
    cp "$src/spark-jobs/target/local-classpath.txt" "$dest/classpath.txt"
  fi
  if [[ "$modules" == *testkit* ]]; then
    cp -r "$src/testkit/target/classes" "$dest/testkit-classes"
    cp -r "$src/testkit/target/lib" "$dest/testkit-lib"
  fi
  echo "  build $(basename "$dest"): $(took "$start") s"
}

# run NAME JARDIR: fresh embedded stores, the job, a dump of what it published into $WORK/NAME.dump.
run() {
  local name=$1 jars=$2 start redis db
  mkdir -p "$WORK/$name"
  java -cp "$TESTKIT" com.shoprec.testkit.EmbeddedStores "$WORK/$name/stores" 0 0 > "$WORK/$name/stores.log" 2>&1 &
  STORES_PID=$!
  for _ in $(seq 1 240); do grep -q '^READY' "$WORK/$name/stores.log" 2>/dev/null && break; sleep 0.5; done
  grep -q '^READY' "$WORK/$name/stores.log" || { cat "$WORK/$name/stores.log" >&2; exit 2; }
  redis="$(sed -n 's/^REDIS_URL=//p' "$WORK/$name/stores.log")"
  db="$(sed -n 's/^DATABASE_URL=//p' "$WORK/$name/stores.log")"
  start=$(now)
  java "${JVM[@]}" -cp "$jars/job.jar:$(cat "$jars/classpath.txt")" com.shoprec.jobs.RecommendationJob \
    --input "$INPUT" --as-of "$AS_OF" --redis-url "$redis" --database-url "$db" "${JOB_SETTINGS[@]}" \
    > "$WORK/$name/job.log" 2>&1 || { tail -30 "$WORK/$name/job.log" >&2; echo "the $name job failed" >&2; exit 2; }
  echo "  job $name: $(took "$start") s ($(grep -o '^published run [^:]*' "$WORK/$name/job.log" || echo 'not published'))"
  start=$(now)
  java -cp "$TESTKIT" com.shoprec.testkit.PublishedOutput dump "$db" "$redis" "$WORK/$name.dump" > /dev/null
  echo "  dump $name: $(took "$start") s"
  kill "$STORES_PID" && wait "$STORES_PID" 2>/dev/null || true
  STORES_PID=
}

TOTAL=$(now)
echo "base $BASE_REV ($BASE_SHA) vs working tree $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . && echo '' || echo ' + uncommitted changes')"
echo "input $INPUT, as of $AS_OF, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "job JVM: ${JVM_SETTINGS[*]:-} -Dspark.master=local[2] (+ conf/spark-java17.jvmopts, -Xmx${JOB_XMX:-6g} unless set); job args: ${JOB_SETTINGS[*]:-(defaults)}"
if [[ $RECORD == 1 ]]; then
  build "$ROOT" "$WORK/current" testkit
else
  build "$ROOT" "$WORK/current" spark-jobs,testkit
fi
TESTKIT="$WORK/current/testkit-classes:$WORK/current/testkit-lib/*"
git -C "$ROOT" worktree add --quiet --detach "$WORK/base-src" "$BASE_SHA"
build "$WORK/base-src" "$WORK/base" spark-jobs
git -C "$ROOT" worktree remove --force "$WORK/base-src"

run base "$WORK/base"
[[ $REPEAT == 1 ]] && run base-again "$WORK/base"
RERUN=()
[[ $REPEAT == 1 ]] && RERUN=("$WORK/base-again.dump")

if [[ $RECORD == 1 ]]; then
  if [[ $REPEAT == 1 ]]; then
    java -cp "$TESTKIT" com.shoprec.testkit.PublishedOutput compare "$WORK/base.dump" "$WORK/base-again.dump" \
      || { echo "two runs of $BASE_REV differ: not recording a nondeterministic output" >&2; exit 1; }
  fi
  mkdir -p "$(dirname "$OUT")"
  java -cp "$TESTKIT" com.shoprec.testkit.PublishedOutput digests "$WORK/base.dump" "$OUT" \
    "Reference digests of what the weekly job published (PublishedOutput dump: lines and SHA-256 per part)." \
    "Made by: bench/same-output.sh --record $BASE_REV $(realpath --relative-to="$ROOT" "$INPUT")" \
    "commit $BASE_SHA" \
    "input $(realpath --relative-to="$ROOT" "$INPUT") sha256 $(sha256sum "$INPUT" | cut -d' ' -f1)" \
    "as-of $AS_OF" \
    "settings $SETTINGS sha256 $(sha256sum "$SETTINGS" | cut -d' ' -f1)"
  echo "recorded $(grep -vc '^#' "$OUT") parts to $OUT (total $(took "$TOTAL") s)"
  exit 0
fi

run current "$WORK/current"
start=$(now)
set +e
java -cp "$TESTKIT" com.shoprec.testkit.PublishedOutput compare "$WORK/base.dump" "$WORK/current.dump" "${RERUN[@]}" \
  > "$WORK/report.txt"
STATUS=$?
set -e
echo "  compare: $(took "$start") s; total $(took "$TOTAL") s"
echo "A = $BASE_REV, B = working tree"
# the verdict line (IDENTICAL or DIFFERENT: ...) is the report's last line: it stays last
cat "$WORK/report.txt"
exit "$STATUS"
