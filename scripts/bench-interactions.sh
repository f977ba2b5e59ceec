#!/usr/bin/env bash
# Interaction benchmark: Interactions.record (the record script, then growth/after.lua with the leaderboard
# ZADD, the event XADD and the profile-change mark, through one shared Lettuce connection as in the server) against a
# fresh embedded redis-server 6.2, with 64 records in flight over 10,000 persons and a mix of kinds.
# Prints interactions/s and p50/p99, and checks from Redis that each was counted exactly once. Exits
# non-zero on a mismatch.
#
#   scripts/bench-interactions.sh [count=100000] [concurrency=64] [warmup=20000] [persons=10000]
#
# Environment: BENCH_FSYNC (always|everysec, default always, as the embedded default), BENCH_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
concurrency=${2:-64}
warmup=${3:-20000}
persons=${4:-10000}
fsync=${BENCH_FSYNC:-always}
java_opts=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}

mvn -B -q -DskipTests package
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath

work=target/bench-interactions
rm -rf "$work" && mkdir -p "$work"
echo "== Siyu interaction benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, fsync=$fsync, JVM: $java_opts"
# shellcheck disable=SC2086
exec java $java_opts -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  io.siyu.bench.InteractionLoad "$count" "$concurrency" "$warmup" "$fsync" "$work/redis" "$persons"
