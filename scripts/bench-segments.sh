#!/usr/bin/env bash
# Segment benchmark: generates N realistic profiles into a fresh embedded redis-server 6.2 (pipelined HSET),
# defines 5 typical segments, then runs the app's full pass (AudienceRebuilds: SCAN + read + score + CAS
# write + build sets + RENAME) three times under the JVM options below: pass 1 writes everyone's scores,
# passes 2-3 are the steady-state sweep. Prints time, profiles/s, heap, CPU split, Redis command costs,
# member counts (checked against counts the generator computes in plain Java: exits non-zero on any
# mismatch) and Redis memory per profile (profile hash, follows, segment sets, other; RDB size).
#
#   scripts/bench-segments.sh [profiles=1000000] [passes=3]
#
# Environment: BENCH_FSYNC (always|everysec, default everysec: the generator's load), BENCH_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."
profiles=${1:-1000000}
passes=${2:-3}
fsync=${BENCH_FSYNC:-everysec}
# A young generation of 320 MB halves the collections of a pass (each copies the batches in flight).
java_opts=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -Xmn320m -XX:+UseParallelGC}

mvn -B -q -DskipTests package
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath

work=target/bench-segments
rm -rf "$work" && mkdir -p "$work"
echo "== Siyu segment benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), loadavg $(cut -d' ' -f1-3 /proc/loadavg), fsync=$fsync, JVM: $java_opts"
# shellcheck disable=SC2086
java $java_opts -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  io.siyu.bench.SegmentRebuildLoad "$profiles" "$fsync" "$work/redis" "$passes"
status=$?
echo "== loadavg at the end $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
