# Shared by the benches: sourced, not run. spark_jobs_test_classpath: ease.sh, neighbours.sh, redis-write.sh;
# serving_bench_setup, free_port and wait_for: serving.sh, open-loop.sh.

# spark_jobs_test_classpath WORK: compiles spark-jobs' test classes (offline), copies the compiled classes into WORK
# (other builds may clean spark-jobs/target while a bench runs) and sets CP to those copies and the test classpath,
# and OPENS to the --add-opens list Spark needs on Java 17 (from the parent pom). Run from the repository's root.
spark_jobs_test_classpath() {
  local work=$1
  echo "compiling spark-jobs test classes" >&2
  mvn -B -o -q -pl spark-jobs test-compile
  mvn -B -o -q -pl spark-jobs dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$work/classpath.txt" >/dev/null
  OPENS=$(sed -n 's:.*<spark.test.jvm.opens>\(.*\)</spark.test.jvm.opens>.*:\1:p' pom.xml)
  cp -r spark-jobs/target/classes "$work/classes"
  cp -r spark-jobs/target/test-classes "$work/test-classes"
  CP="$work/test-classes:$work/classes:$(cat "$work/classpath.txt")"
}

# serving_bench_setup WORK: installs redis-server, redis-tools, wrk and curl where missing (root, apt-get), builds the
# server jar if missing, compiles serving's test classes (offline) and copies both into WORK (other builds may clean
# serving/target while a bench runs: WORK/server.jar, WORK/test-classes); sets CP to those test classes and the test
# classpath.
# Run from the repository's root.
serving_bench_setup() {
  local work=$1 jar=serving/target/shoprec-serving-0.1.0-SNAPSHOT-server.jar missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-benchmark >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-tools)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v curl >/dev/null || missing+=(curl)
  if ((${#missing[@]})); then
    echo "installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if [[ ! -f "$jar" ]]; then
    echo "building the server jar" >&2
    mvn -B -q -o -pl common,serving -am -DskipTests package
  fi
  echo "compiling serving test classes" >&2
  mvn -B -o -q -pl serving test-compile
  mvn -B -o -q -pl serving dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$work/classpath.txt" >/dev/null
  cp "$jar" "$work/server.jar"
  cp -r serving/target/test-classes "$work/test-classes"
  CP="$work/test-classes:$(cat "$work/classpath.txt")"
}

# free_port: a TCP port free on 127.0.0.1 now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for COMMAND...: waits until the command succeeds (up to 30 s), then runs it once more for its status.
wait_for() {
  local i
  for i in $(seq 300); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  "$@"
}
