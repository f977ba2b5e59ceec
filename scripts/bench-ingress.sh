#!/usr/bin/env bash
# Ingress benchmark: starts Siyu (embedded Redis, sandbox) and, on the same machine, a load generator
# that sends real encrypted WeCom callbacks (a mix of kinds plus WeCom-style re-deliveries), then the same
# load against a trivial endpoint of the same server. Prints callbacks/s, ack p50/p99, the ratio, the
# server's peak RSS, and checks in Redis that no event was lost or appended twice.
#
#   scripts/bench-ingress.sh [count=100000] [concurrency=64] [duplicate-percent=10] [warmup=40000]
#
# Environment: BENCH_JAVA_OPTS (server JVM flags), BENCH_FSYNC (always|everysec, default always).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
concurrency=${2:-64}
dup=${3:-10}
warmup=${4:-40000}
port=${BENCH_PORT:-18080}
redis_port=${BENCH_REDIS_PORT:-16379}
fsync=${BENCH_FSYNC:-always}
java_opts=${BENCH_JAVA_OPTS:--Xms256m -Xmx256m -XX:+UseParallelGC -XX:MaxDirectMemorySize=128m}

mvn -B -q -DskipTests package
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath

work=target/bench
rm -rf "$work" && mkdir -p "$work"
# shellcheck source=scripts/lib/bench-server.sh
. scripts/lib/bench-server.sh
# shellcheck disable=SC2086
start_bench_server target/siyu.jar "$work" "$port" "$redis_port" \
  --siyu.redis.embedded.appendfsync="$fsync" ${BENCH_SERVER_ARGS:-}

echo "== Siyu ingress benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, fsync=$fsync, server JVM: $java_opts"
set +e
java -Xmx1g -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" io.siyu.bench.IngressLoad \
  127.0.0.1 "$port" "$redis_port" "$count" "$concurrency" "$dup" "$warmup"
rc=$?
set -e
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
redis_pid=$(pgrep -P $server -f redis-server || true)
echo "server peak RSS     $((rss_kb / 1024)) MB (JVM process; the redis-server child is separate${redis_pid:+: $(( $(awk '/VmHWM/ {print $2}' /proc/$redis_pid/status) / 1024 )) MB})"
exit $rc
