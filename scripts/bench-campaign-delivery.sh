#!/usr/bin/env bash
# Campaign delivery benchmark: starts Siyu (own ports, fresh embedded Redis under target/, sandbox mode,
# outbox workers on), seeds N profiles, one segment of them and the sandbox contacts who follow their owner,
# launches a once campaign on the staff channel (add_msg_template) through the admin API and lets the outbox
# deliver it while the sandbox enforces LIMIT calls per clock minute on that API (45009 beyond it; Siyu's
# shared bucket is configured to the same limit). From the sandbox's call log it reports the achieved
# calls/min over the steady window (first call + 10 s to last call - 10 s), the most calls in any sliding
# 60 s window, the 45009 answers (must be 0) and persons messaged twice (must be 0), and checks every person
# got exactly one message: PASS (rate ≥ 95 % of LIMIT, no 45009, no duplicate, all delivered) or FAIL, exit 1.
#
#   N=45000 LIMIT=10000 scripts/bench-campaign-delivery.sh
#
# Environment: N, LIMIT, BENCH_JAVA_OPTS (server JVM, default -Xms512m -Xmx512m -XX:+UseParallelGC),
# BENCH_JAR (default target/siyu.jar), BENCH_SKIP_BUILD=1, BENCH_SERVER_ARGS, BENCH_PORT, BENCH_REDIS_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-45000}
limit=${LIMIT:-10000}
port=${BENCH_PORT:-18092}
redis_port=${BENCH_REDIS_PORT:-16392}
jar=${BENCH_JAR:-target/siyu.jar}
java_opts=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}
token="bench-$(date +%s%N | sha256sum | cut -c1-24)"
base="http://127.0.0.1:$port"
segment=bench-delivery
owner=zhangsan
api_name=externalcontact/add_msg_template

if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  mvn -B -q -DskipTests package
  mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
fi
work=target/bench-campaign-delivery
rm -rf "$work" && mkdir -p "$work"
# shellcheck source=scripts/lib/bench-server.sh
. scripts/lib/bench-server.sh
# shellcheck source=scripts/lib/bench-campaign.sh
. scripts/lib/bench-campaign.sh
export SIYU_ADMIN_OPERATOR_TOKEN="$token"

echo "== Siyu campaign delivery benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //'), loadavg $(cut -d' ' -f1-3 /proc/loadavg), server JVM: $java_opts ${BENCH_SERVER_ARGS:-}"
echo "audience: $n persons, $api_name limit $limit calls/min"
# Quiet hours off (start = end) and the per-person caps left as configured: one message per person.
# shellcheck disable=SC2086
start_bench_server "$jar" "$work" "$port" "$redis_port" \
  --siyu.audience.segments[0].name=$segment "--siyu.audience.segments[0].expression=id.startsWith('bd-')" \
  --siyu.campaign.builtins.enabled=false \
  --siyu.audience.evaluator.enabled=false --siyu.audience.sweep.enabled=false \
  --siyu.campaign.planner.interval=1s \
  --siyu.outbox.quiet-hours.start=00:00 --siyu.outbox.quiet-hours.end=00:00 \
  "--siyu.sandbox.rate-limits[$api_name]=$limit" "--siyu.wecom.client.rate-limits[$api_name]=$limit" \
  --siyu.sandbox.call-log-size=$((n * 2 + 2000)) \
  ${BENCH_SERVER_ARGS:-}
seed_audience "$n" "$segment" bd- wmBd "$owner"
api -X POST "$base/sandbox/contacts" -d "{\"userId\":\"$owner\",\"prefix\":\"wmBd\",\"from\":0,\"count\":$n}"
api -X DELETE "$base/sandbox/calls"
id=$(launch_campaign "$segment" staff 2)
t0=$(date +%s)
calm=0
while :; do
  sleep 5
  run=$(latest_run "$id"); stats=$(api "$base/api/v1/outbox/stats")
  busy=$(( $(echo "$stats" | field queued) + $(echo "$stats" | field sending) ))
  echo "  $(date -u +%T) run=$(echo "$run" | field state) planned=$(echo "$run" | field planned) queued=$(echo "$stats" | field queued) sending=$(echo "$stats" | field sending) sent=$(echo "$stats" | sed -E 's/.*"byStatus":\{[^}]*"sent":([0-9]+).*/\1/') dead=$(echo "$stats" | sed -E 's/.*"byStatus":\{[^}]*"dead":([0-9]+).*/\1/')"
  if [ "$(echo "$run" | field state)" = planned ] && [ "$busy" -eq 0 ]; then calm=$((calm + 1)); [ $calm -ge 2 ] && break; else calm=0; fi
  if ! kill -0 "$server" 2>/dev/null; then echo "server died:"; tail -50 "$work/server.log"; exit 1; fi
  if [ $(( $(date +%s) - t0 )) -gt $(( n * 60 / limit * 3 + 300 )) ]; then echo "FAIL: not delivered in time"; exit 1; fi
done
echo "outbox: $(api "$base/api/v1/outbox/stats")"
api "$base/sandbox/calls?api=$api_name&limit=$((n * 2 + 2000))" > "$work/calls.json"
python3 - "$work/calls.json" "$n" "$limit" <<'PY'
import json, sys
from datetime import datetime
calls, n, limit = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
def t(at):
    return float(at) if isinstance(at, (int, float)) else datetime.fromisoformat(at.replace('Z', '+00:00')).timestamp()
times = sorted(t(c['at']) for c in calls)
limited = sum(1 for c in calls if c['errcode'] == 45009)
got = {}
for c in calls:
    if c['errcode'] != 0:
        continue
    ids = c['request'].get('external_userid')
    for e in ids if isinstance(ids, list) else [ids]:
        if e not in (c.get('detail') or {}).get('limited', []):
            got[e] = got.get(e, 0) + 1
twice = sum(1 for v in got.values() if v > 1)
most, j = 0, 0
for i in range(len(times)):
    while times[i] - times[j] >= 60:
        j += 1
    most = max(most, i - j + 1)
lo, hi = times[0] + 10, times[-1] - 10
steady = sum(1 for x in times if lo <= x <= hi) / ((hi - lo) / 60) if hi > lo else float('nan')
ok = steady >= 0.95 * limit and limited == 0 and twice == 0 and len(got) == n
print(f"RESULT calls={len(calls)} span={times[-1] - times[0]:.0f}s steady-rate={steady:.0f}/min "
      f"({100 * steady / limit:.1f}% of {limit}) max-in-any-60s={most} 45009={limited} "
      f"persons-messaged={len(got)}/{n} messaged-twice={twice}")
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
