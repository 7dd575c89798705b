# Shared by the benches that run a spark-jobs test class (ease.sh, neighbours.sh, redis-write.sh); sourced, not run.

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
