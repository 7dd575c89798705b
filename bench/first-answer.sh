#!/usr/bin/env bash
# Time to first answer: the weekly batch's wall time (JVM start to exit) on the bundled sample, the shared Online
# Retail file and, with --10m, 10 M synthetic order lines, BEFORE (the job jar of an earlier commit, built in a
# temporary git worktree) and AFTER (this tree), alternating in one run, into throw-away embedded Redis and
# Postgres on local[2]. Prints each run, then per input the median wall and CPU time (user + system) of each side
# and AFTER / BEFORE.
#
#   bench/first-answer.sh [BASE_REV] [--10m] [--rounds N]
#
# BASE_REV: default the commit this branch forked from main (git merge-base HEAD main). --rounds: runs per side and
# input (default 2; the 10 M input runs once per side: about 13 minutes each). The order alternates per round
# (BEFORE first, then AFTER first), so that a machine getting slower or faster during the bench favours neither.
# Each side uses its own embedded stores. AFTER runs as ./run-local.sh runs it (quiet, with a log file).
#
# Environment: XMX (job heap, 6g; 10 M lines: 8g), MASTER (local[2]), SEED (42: the 10 M file, as bench/scale.sh's),
# KEEP=1 keeps the work dir (jobs' logs) under /tmp.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
XMX="${XMX:-6g}"
MASTER="${MASTER:-local[2]}"
SEED="${SEED:-42}"
SAMPLE="$ROOT/sample/online-retail-sample.csv.gz"
SHARED="$ROOT/../shared/data/online-retail/orders.csv.gz"
DATA="$ROOT/bench/.data"

base="" rounds=2 tenm=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --10m) tenm=1 ;;
    --rounds) rounds="${2:?--rounds needs a number}"; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) base="$1" ;;
  esac
  shift
done
base="${base:-$(git merge-base HEAD main)}"
base_sha="$(git rev-parse --verify "$base^{commit}")"
[[ -f "$SHARED" ]] || { echo "no shared file at $SHARED (../shared/data beside the repository)" >&2; exit 2; }

WORK="$(mktemp -d /tmp/shoprec-first-answer.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  git -C "$ROOT" worktree remove --force "$WORK/before-tree" 2>/dev/null || true
  if [[ "${KEEP:-0}" == 1 ]]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# AFTER: this tree's jars (built if missing), copied so that a build here during the bench swaps nothing.
if [[ -z "$(ls spark-jobs/target/shoprec-spark-jobs-*-job.jar 2>/dev/null)" || ! -f spark-jobs/target/local-classpath.txt
      || ! -d testkit/target/lib || ! -f testkit/target/classes/com/shoprec/testkit/SyntheticOrders.class ]]; then
  echo "building this tree (mvn package, tests skipped)" >&2
  mvn -B -q -ntp -DskipTests package
fi
mkdir -p "$WORK/after" "$WORK/before"
cp spark-jobs/target/shoprec-spark-jobs-*-job.jar "$WORK/after/job.jar"
cp spark-jobs/target/local-classpath.txt "$WORK/after/local-classpath.txt"
cp -r testkit/target/classes "$WORK/testkit-classes"
cp -r testkit/target/lib "$WORK/testkit-lib"

# BEFORE: the job jar of BASE_REV, built in a temporary worktree (package only: nothing is installed).
echo "building $base (${base_sha:0:10}) in a temporary worktree" >&2
git worktree add --detach -q "$WORK/before-tree" "$base_sha"
(cd "$WORK/before-tree" && mvn -B -q -ntp -DskipTests package -pl spark-jobs -am)
cp "$WORK"/before-tree/spark-jobs/target/shoprec-spark-jobs-*-job.jar "$WORK/before/job.jar"
cp "$WORK/before-tree/spark-jobs/target/local-classpath.txt" "$WORK/before/local-classpath.txt"
git worktree remove --force "$WORK/before-tree"

mapfile -t OPTS < conf/spark-java17.jvmopts
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# One embedded Redis and Postgres per side, for the whole bench.
for side in before after; do
  java -cp "$WORK/testkit-classes:$WORK/testkit-lib/*" com.shoprec.testkit.EmbeddedStores \
    "$WORK/$side/stores" "$(free_port)" "$(free_port)" > "$WORK/$side/stores.log" 2>&1 &
  PIDS+=($!)
done
for side in before after; do
  for _ in $(seq 1 240); do grep -q '^READY' "$WORK/$side/stores.log" 2>/dev/null && break; sleep 0.5; done
  grep -q '^READY' "$WORK/$side/stores.log" || { cat "$WORK/$side/stores.log" >&2; exit 1; }
done

input_for() { # sample | shared | 10m -> file (10 M generated once per seed, as bench/scale.sh does)
  case "$1" in
    sample) echo "$SAMPLE" ;;
    shared) echo "$SHARED" ;;
    10m)
      local file="$DATA/synthetic-10000000-seed$SEED.csv.gz"
      if [[ ! -f "$file" ]]; then
        mkdir -p "$DATA"
        java -Xmx4g -cp "$WORK/testkit-classes" com.shoprec.testkit.SyntheticOrders "$file" 10000000 "$SEED" >&2
      fi
      echo "$file" ;;
  esac
}

# run SIDE INPUT_NAME ROUND: one job; appends "input side round wall cpu" to $WORK/results.
run() {
  local side="$1" name="$2" round="$3" input xmx out redis_url database_url extra=()
  input="$(input_for "$name")"
  xmx="$XMX"; [[ "$name" == 10m ]] && xmx="${XMX_10M:-8g}"
  out="$WORK/$side/$name-$round"
  redis_url="$(sed -n 's/^REDIS_URL=//p' "$WORK/$side/stores.log")"
  database_url="$(sed -n 's/^DATABASE_URL=//p' "$WORK/$side/stores.log")"
  [[ "$side" == after ]] && extra=(--log-file "$out.job.log")
  local start end times
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  { TIMEFORMAT='%U %S'; time java "-Xmx$xmx" "${OPTS[@]}" -Dspark.master="$MASTER" -Dspark.ui.enabled=false \
      -cp "$WORK/$side/job.jar:$(cat "$WORK/$side/local-classpath.txt")" com.shoprec.jobs.RecommendationJob \
      --input "$input" --redis-url "$redis_url" --database-url "$database_url" "${extra[@]}" \
      > "$out.out" 2>&1; } 2> "$out.time" \
    || { echo "$side job failed on $name:" >&2; tail -30 "$out.out" >&2; exit 1; }
  end=$(date +%s.%N)
  times="$(tail -1 "$out.time")"
  python3 - "$name" "$side" "$round" "$start" "$end" $times "$(load)" >> "$WORK/results" <<'PY'
import sys
name, side, rnd, start, end, user, sys_, load = sys.argv[1:9]
print(name, side, rnd, round(float(end) - float(start), 1), round(float(user) + float(sys_), 1), load.replace(" ", "/"))
PY
  tail -1 "$WORK/results" | awk '{ printf "  %-7s %-7s round %s: wall %6.1f s, cpu %6.1f s (load %s)\n", $1, $2, $3, $4, $5, $6 }'
  # stage timings, from stdout (BEFORE) or the job's log (AFTER)
  (grep -h -o 'stage timings (ms): .*' "$out.out" "$out.job.log" 2>/dev/null || true) | head -1 \
    | sed 's/^stage timings (ms): //' > "$out.stages"
}

inputs=(sample shared)
[[ "$tenm" == 1 ]] && inputs+=(10m)
echo "first answer: BEFORE $base (${base_sha:0:10}), AFTER this tree ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- spark-jobs common || echo ', with uncommitted changes')); $MASTER, $(nproc) cores, load $(load)"
for name in "${inputs[@]}"; do
  n="$rounds"; [[ "$name" == 10m ]] && n=1
  for round in $(seq 1 "$n"); do
    if (( round % 2 == 1 )); then run before "$name" "$round"; run after "$name" "$round"
    else run after "$name" "$round"; run before "$name" "$round"; fi
  done
done

python3 - "$WORK" <<'PY'
import sys, os, statistics
work = sys.argv[1]
rows = [l.split() for l in open(os.path.join(work, "results"))]
def stages(side, name, rnd):
    p = os.path.join(work, side, f"{name}-{rnd}.stages")
    text = open(p).read().strip().strip("{}") if os.path.exists(p) else ""
    return {k.strip(): int(v) for k, v in (kv.split("=") for kv in text.split(", ") if "=" in kv)}
print(f"\n{'input':<8}{'runs':>5}{'BEFORE wall s':>15}{'AFTER wall s':>14}{'ratio':>7}{'BEFORE cpu s':>14}{'AFTER cpu s':>13}{'ratio':>7}")
for name in dict.fromkeys(r[0] for r in rows):
    b = [r for r in rows if r[0] == name and r[1] == "before"]
    a = [r for r in rows if r[0] == name and r[1] == "after"]
    bw, aw = statistics.median(float(r[3]) for r in b), statistics.median(float(r[3]) for r in a)
    bc, ac = statistics.median(float(r[4]) for r in b), statistics.median(float(r[4]) for r in a)
    print(f"{name:<8}{len(b):>5}{bw:>15.1f}{aw:>14.1f}{aw / bw:>7.2f}{bc:>14.1f}{ac:>13.1f}{ac / bc:>7.2f}")
print("\n(median of the runs; ratio AFTER / BEFORE, below 1 is faster)")
for name in dict.fromkeys(r[0] for r in rows):
    b, a = stages("before", name, 1), stages("after", name, 1)
    if not b or not a:
        continue
    print(f"\n{name}, round 1, stage seconds (the models overlap):")
    print(f"  {'stage':<14}{'BEFORE':>9}{'AFTER':>9}")
    for k in dict.fromkeys(list(b) + list(a)):
        print(f"  {k:<14}{b.get(k, 0) / 1000:>9.1f}{a.get(k, 0) / 1000:>9.1f}")
PY
