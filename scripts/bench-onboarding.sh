#!/usr/bin/env bash
# Onboarding benchmark: starts Siyu (own ports, fresh embedded Redis under target/, sandbox mode, a generated
# admin token) and drives the sandbox's simulated audience (POST /sandbox/simulate/audience).
#
#   scripts/bench-onboarding.sh check   [count=1000] [seconds=60] [questionnaireRate=0.6] [joinRate=0.4]
#       runs the audience, waits until the inbox and the outbox are drained, then checks that the journey
#       funnel and the blind-box draws per pool equal the implied numbers exactly: PASS, or FAIL and exit 1.
#   scripts/bench-onboarding.sh latency [rate=200] [seconds=30]
#       rate×seconds adds (nothing else) and the add → send_welcome_msg latency: p50/p99/max and the
#       welcomes missed (not sent within WeCom's 20 s welcome_code window), the add rate reached, server CPU;
#       after an unmeasured 10 s warm-up at the same rate (BENCH_WARMUP=0: none).
#
# Environment: BENCH_JAVA_OPTS (server JVM flags), BENCH_JAR (default target/siyu.jar), BENCH_SKIP_BUILD=1,
# BENCH_SERVER_ARGS (extra server arguments, e.g.
# "--siyu.wecom.client.default-rate-limit=120000 --siyu.sandbox.default-rate-limit=120000").
# Quiet hours are switched off (start = end) so follow-up messages are not deferred to the morning.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
port=${BENCH_PORT:-18090}
redis_port=${BENCH_REDIS_PORT:-16390}
jar=${BENCH_JAR:-target/siyu.jar}
java_opts=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}
token="bench-$(date +%s%N | sha256sum | cut -c1-24)"
base="http://127.0.0.1:$port"
case "$mode" in
  check) count=${2:-1000}; seconds=${3:-60}; qrate=${4:-0.6}; jrate=${5:-0.4} ;;
  latency) rate=${2:-200}; seconds=${3:-30}; count=$((rate * seconds)); qrate=0; jrate=0 ;;
  *) echo "usage: $0 check|latency [...] (see the header)"; exit 2 ;;
esac

[ "${BENCH_SKIP_BUILD:-}" = 1 ] || mvn -B -q -Dmaven.test.skip=true package
work=target/bench-onboarding
rm -rf "$work" && mkdir -p "$work"
# shellcheck source=scripts/lib/bench-server.sh
. scripts/lib/bench-server.sh
export SIYU_ADMIN_OPERATOR_TOKEN="$token"
# shellcheck disable=SC2086
start_bench_server "$jar" "$work" "$port" "$redis_port" \
  --siyu.sandbox.call-log-size=$((count * 3 + 2000)) \
  --siyu.outbox.quiet-hours.start=00:00 --siyu.outbox.quiet-hours.end=00:00 \
  ${BENCH_SERVER_ARGS:-}

get() { curl -fsS -H "Authorization: Bearer $token" "$base$1"; }
# The first "name":value in a JSON document (no jq: bash + sed only); string quotes removed.
field() { grep -o "\"$1\":[^,}]*" | head -1 | sed -E "s/^\"$1\":\"?([^\"]*)\"?$/\1/"; }
metric() { get "/actuator/metrics/$1" | sed -E 's/.*"value":([0-9.E+-]+).*/\1/' | cut -d. -f1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }

echo "== Siyu onboarding benchmark ($mode) $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //'), server JVM: $java_opts ${BENCH_SERVER_ARGS:-}"
echo "audience: $count persons over $seconds s, questionnaireRate=$qrate joinRate=$jrate"
if [ "$mode" = latency ] && [ "${BENCH_WARMUP:-1}" = 1 ]; then
  # An unmeasured run first: the JIT-compiled steady state is what a long-running server shows.
  echo "warm-up: $((rate * 10)) adds over 10 s (not measured; BENCH_WARMUP=0 skips it)"
  curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"count\":$((rate * 10)),\"seconds\":10,\"questionnaireRate\":0,\"joinRate\":0}" \
    "$base/sandbox/simulate/audience" > /dev/null
  until [ "$(get /sandbox/simulate/audience | field status)" = finished ]; do sleep 2; done
  echo "warm-up: $(get /sandbox/simulate/audience | grep -o '"welcome":{[^}]*}')"
fi
cpu0=$(cpu_ticks); t0=$(date +%s.%N)
curl -fsS -X POST -H 'Content-Type: application/json' \
  -d "{\"count\":$count,\"seconds\":$seconds,\"questionnaireRate\":$qrate,\"joinRate\":$jrate}" \
  "$base/sandbox/simulate/audience" > /dev/null
while :; do
  sleep 3
  report=$(get /sandbox/simulate/audience)
  status=$(echo "$report" | field status)
  echo "  $(date -u +%T) $status added=$(echo "$report" | field added) questionnaires=$(echo "$report" | field questionnaires) joined=$(echo "$report" | field joined) welcomes=$(echo "$report" | sed -E 's/.*"welcome":\{"sent":([0-9]+).*/\1/') inbox-lag=$(metric siyu.inbox.lag) inbox-pending=$(metric siyu.inbox.pending)"
  [ "$status" = finished ] && break
done
t1=$(date +%s.%N); cpu1=$(cpu_ticks)
echo "server CPU: $(awk -v c=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.0f%% of one core over %.0f s", 100 * c / hz / (t1 - t0), t1 - t0}')"
echo "report: $report"

if [ "$mode" = latency ]; then
  echo "RESULT rate-target=$rate/s add-rate-reached=$(echo "$report" | field addRatePerSecond)/s added=$(echo "$report" | field added) addFailed=$(echo "$report" | field addFailed) welcome: $(echo "$report" | sed -E 's/.*"welcome":\{([^}]*)\}.*/\1/')"
  exit 0
fi

# Drained: the inbox has no lag or pending entries and the outbox nothing queued or sending (twice in a row).
calm=0
for _ in $(seq 1 120); do
  out=$(get /api/v1/outbox/stats)
  busy=$(( $(metric siyu.inbox.lag) + $(metric siyu.inbox.pending) + $(echo "$out" | field queued) + $(echo "$out" | field sending) ))
  if [ "$busy" -eq 0 ]; then calm=$((calm + 1)); [ $calm -ge 2 ] && break; else calm=0; fi
  sleep 2
done
echo "outbox: $(get /api/v1/outbox/stats)"
echo "inbox dead letters: $(metric siyu.inbox.dead)"

followed=$(echo "$report" | sed -E 's/.*"implied":\{"followed":([0-9]+),"questionnaire":([0-9]+),"joined":([0-9]+)\}.*/\1 \2 \3/')
read -r want_follow want_q want_join <<< "$followed"
funnel=$(get /api/v1/journey/funnel)
overall=$(echo "$funnel" | sed -E 's/^\{"overall":\{"state":null,"steps":\[([^]]*)\].*/\1/')
got() { echo "$overall" | sed -E "s/.*\"step\":\"$1\",\"count\":([0-9]+).*/\1/"; }
draws() { get "/api/v1/blindbox/pools/$1/stats" | field draws; }
fail=0
check() {
  if [ "$2" = "$3" ]; then echo "  ok   $1 = $2"; else echo "  FAIL $1 = $2, implied $3"; fail=1; fi
}
echo "checks against the implied numbers:"
check "funnel follow" "$(got follow)" "$want_follow"
check "funnel questionnaire" "$(got questionnaire)" "$want_q"
check "funnel join_group" "$(got join_group)" "$want_join"
check "draws follow" "$(draws follow)" "$want_follow"
check "draws questionnaire" "$(draws questionnaire)" "$want_q"
check "draws join_group" "$(draws join_group)" "$want_join"
check "welcomes sent (outbox)" "$(get /api/v1/outbox/stats | field welcome)" "$want_follow"
check "inbox dead letters" "$(metric siyu.inbox.dead)" "0"
if [ $fail -eq 0 ]; then echo PASS; else echo FAIL; exit 1; fi
