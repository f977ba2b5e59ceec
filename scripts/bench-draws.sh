#!/usr/bin/env bash
# Blind-box draw benchmark: BlindBox.draw (the one draw script, through one shared Lettuce connection as
# in the server) against a fresh embedded redis-server 6.2, with 64 draws in flight. Prints draws/s,
# p50/p99, and checks zero oversell in Redis (won + stock left = initial per prize; coupon codes issued
# unique and accounted for). Exits non-zero on any mismatch.
#
#   scripts/bench-draws.sh [count=200000] [concurrency=64] [warmup=20000]
#
# Environment: BENCH_FSYNC (always|everysec, default always, as the embedded default), BENCH_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200000}
concurrency=${2:-64}
warmup=${3:-20000}
fsync=${BENCH_FSYNC:-always}
java_opts=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}

mvn -B -q -DskipTests package
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath

work=target/bench-draws
rm -rf "$work" && mkdir -p "$work"
echo "== Siyu blind-box draw benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, fsync=$fsync, JVM: $java_opts"
# shellcheck disable=SC2086
exec java $java_opts -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  io.siyu.bench.BlindBoxDrawLoad "$count" "$concurrency" "$warmup" "$fsync" "$work/redis"
