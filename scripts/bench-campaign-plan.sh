#!/usr/bin/env bash
# Campaign planning benchmark: starts Siyu (own ports, fresh embedded Redis under target/, sandbox mode,
# -Xmx512m), seeds N profiles and one segment of all of them straight into its Redis (pipelined), creates and
# launches a once campaign through the admin API and measures planning: the run's startedAt → finishedAt
# (the server's clock; the planner ticks every second) and launch → state planned as the script sees it,
# plus the app's max heap used (jvm.memory.used{area=heap} sampled every 0.5 s). Repeats RUNS times, each
# with a fresh server and Redis, and prints the median. Target: 1,000,000 persons in ≤ 60 s within 512 MB.
# The outbox workers are off (only planning is measured: entries stay queued).
#
#   N=1000000 RUNS=3 scripts/bench-campaign-plan.sh
#
# Environment: N, RUNS, BENCH_JAVA_OPTS (server JVM, default -Xms512m -Xmx512m -XX:+UseParallelGC),
# BENCH_JAR (default target/siyu.jar), BENCH_SKIP_BUILD=1, BENCH_SERVER_ARGS (e.g.
# "--siyu.campaign.planner.batch=250"), BENCH_PORT, BENCH_REDIS_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-1000000}
runs=${RUNS:-3}
port=${BENCH_PORT:-18091}
redis_port=${BENCH_REDIS_PORT:-16391}
jar=${BENCH_JAR:-target/siyu.jar}
java_opts=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}
token="bench-$(date +%s%N | sha256sum | cut -c1-24)"
base="http://127.0.0.1:$port"
segment=bench-plan

if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  mvn -B -q -DskipTests package
  mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
fi
# shellcheck source=scripts/lib/bench-server.sh
. scripts/lib/bench-server.sh
# shellcheck source=scripts/lib/bench-campaign.sh
. scripts/lib/bench-campaign.sh
export SIYU_ADMIN_OPERATOR_TOKEN="$token"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
heap_used() { api "$base/actuator/metrics/jvm.memory.used?tag=area:heap" | sed -E 's/.*"value":([0-9.E+-]+).*/\1/'; }

echo "== Siyu campaign planning benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //'), loadavg $(cut -d' ' -f1-3 /proc/loadavg), server JVM: $java_opts ${BENCH_SERVER_ARGS:-}"
echo "audience: $n persons, $runs runs"
plan_times=(); wall_times=(); heaps=()
for r in $(seq 1 "$runs"); do
  work=target/bench-campaign-plan/run-$r
  rm -rf "$work" && mkdir -p "$work"
  # the bench replaces the segment list, so the built-in campaigns (on segment followers) are off
  # shellcheck disable=SC2086
  start_bench_server "$jar" "$work" "$port" "$redis_port" \
    --siyu.audience.segments[0].name=$segment "--siyu.audience.segments[0].expression=id.startsWith('bp-')" \
    --siyu.campaign.builtins.enabled=false \
    --siyu.audience.evaluator.enabled=false --siyu.audience.sweep.enabled=false \
    --siyu.outbox.enabled=false --siyu.campaign.planner.interval=1s \
    ${BENCH_SERVER_ARGS:-}
  seed_audience "$n" "$segment" bp- wmBp zhangsan
  redis_pid=$(pgrep -P "$server" redis-server || pgrep -f "redis-server.*:$redis_port" | head -1)
  cpu0_app=$(cpu_ticks "$server"); cpu0_redis=$(cpu_ticks "$redis_pid")
  id=$(launch_campaign "$segment" staff 2)
  t0=$(date +%s.%N)
  max_heap=0; state=""
  while [ "$state" != planned ]; do
    sleep 0.5
    h=$(heap_used); max_heap=$(awk -v a="$max_heap" -v b="$h" 'BEGIN {print (b > a ? b : a)}')
    run=$(latest_run "$id")
    state=$(echo "$run" | field state)
    if ! kill -0 "$server" 2>/dev/null; then echo "server died:"; tail -50 "$work/server.log"; exit 1; fi
  done
  t1=$(date +%s.%N)
  cpu_app=$(awk -v a="$cpu0_app" -v b="$(cpu_ticks "$server")" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (b - a) / hz}')
  cpu_redis=$(awk -v a="$cpu0_redis" -v b="$(cpu_ticks "$redis_pid")" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (b - a) / hz}')
  started=$(echo "$run" | field startedAt); finished=$(echo "$run" | field finishedAt)
  plan=$(awk -v a="$(epoch "$started")" -v b="$(epoch "$finished")" 'BEGIN {printf "%.1f", b - a}')
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
  heap_mb=$(awk -v h="$max_heap" 'BEGIN {printf "%.0f", h / 1048576}')
  echo "run $r: planned=$(echo "$run" | field planned) scanned=$(echo "$run" | field scanned) pages=$(echo "$run" | field pages) plan=${plan}s (startedAt→finishedAt) launch→planned=${wall}s (incl. the 2 s schedule lead) max-heap-used=${heap_mb}MB cpu: app ${cpu_app}s redis ${cpu_redis}s, loadavg $(cut -d' ' -f1 /proc/loadavg), rate=$(awk -v n="$n" -v s="$plan" 'BEGIN {printf "%.0f", n / s}')/s"
  plan_times+=("$plan"); wall_times+=("$wall"); heaps+=("$heap_mb")
  if [ "$(echo "$run" | field planned)" != "$n" ]; then echo "FAIL: planned != $n"; exit 1; fi
  kill "$server"; wait "$server" 2>/dev/null || true
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
echo "RESULT persons=$n runs=$runs median-plan=$(median "${plan_times[@]}")s median-launch-to-planned=$(median "${wall_times[@]}")s max-heap-used=$(printf '%s\n' "${heaps[@]}" | sort -g | tail -1)MB target=60s/512MB loadavg-end=$(cut -d' ' -f1-3 /proc/loadavg)"
