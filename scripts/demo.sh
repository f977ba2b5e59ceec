#!/usr/bin/env bash
# Demo: a simulated audience walks through the onboarding journey in the WeCom sandbox, then the funnel,
# the blind-box draws by prize and the outbox are printed from the admin API.
#
#   scripts/demo.sh [count=200] [seconds=60] [questionnaireRate=0.6] [joinRate=0.4]
#
# Uses the server at SIYU_URL (default http://127.0.0.1:${SIYU_PORT:-8080}) when it is up; that server must
# have been started with an operator token, and the same token must be in SIYU_ADMIN_OPERATOR_TOKEN here:
#   export SIYU_ADMIN_OPERATOR_TOKEN=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_'); ./scripts/run.sh
# When nothing answers there, it starts ./scripts/run.sh itself in the background (with a generated token
# if none is set; it prints it), leaves it running for you to explore, and says how to stop it.
# Needs bash and curl; python3, if present, pretty-prints the JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
seconds=${2:-60}
qrate=${3:-0.6}
jrate=${4:-0.4}
base=${SIYU_URL:-http://127.0.0.1:${SIYU_PORT:-8080}}
pools=${DEMO_POOLS:-follow questionnaire join_group}

pp() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), indent=2, ensure_ascii=False))'
  else cat; echo; fi
}
field() { grep -o "\"$1\":[^,}]*" | head -1 | sed -E "s/^\"$1\":\"?([^\"]*)\"?$/\1/"; }
healthy() { curl -fs -o /dev/null "$base/actuator/health"; }

if healthy; then
  if [ -z "${SIYU_ADMIN_OPERATOR_TOKEN:-}" ]; then
    cat <<MSG
A Siyu server is running at $base, but SIYU_ADMIN_OPERATOR_TOKEN is not set here, so the admin API
(funnel, draws, outbox) cannot be read. Restart the server with a token and run the demo with the same one:

  export SIYU_ADMIN_OPERATOR_TOKEN=\$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  ./scripts/run.sh          # in one terminal (same exported token)
  ./scripts/demo.sh         # in another

Or stop that server: this script then starts one itself.
MSG
    exit 1
  fi
else
  if [ -z "${SIYU_ADMIN_OPERATOR_TOKEN:-}" ]; then
    SIYU_ADMIN_OPERATOR_TOKEN="demo-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
    export SIYU_ADMIN_OPERATOR_TOKEN
    generated=1
  fi
  mkdir -p data
  echo "No server at $base: starting ./scripts/run.sh (log: data/demo-server.log; builds the jar if needed)..."
  nohup ./scripts/run.sh > data/demo-server.log 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    healthy && break
    if ! kill -0 $server 2>/dev/null; then echo "the server stopped:"; tail -30 data/demo-server.log; exit 1; fi
    sleep 1
  done
  healthy || { echo "the server did not become healthy in 5 minutes:"; tail -30 data/demo-server.log; exit 1; }
  echo "Server started (pid $server; stop it with: kill $server)."
  [ -n "${generated:-}" ] && echo "Admin operator token: $SIYU_ADMIN_OPERATOR_TOKEN"
fi
if ! curl -fs "$base/actuator/health" | grep -q '"mode":"sandbox"'; then
  echo "The server at $base runs with real WeCom credentials, not the sandbox: the demo needs sandbox mode."
  exit 1
fi
auth=(-H "Authorization: Bearer $SIYU_ADMIN_OPERATOR_TOKEN")
admin() { curl -fsS "${auth[@]}" "$base$1"; }
admin /api/v1/journey/funnel > /dev/null || { echo "The admin API refused the token in SIYU_ADMIN_OPERATOR_TOKEN."; exit 1; }

echo
echo "== A simulated audience of $count customers over $seconds s: all add our staff member (welcome + draw #1),"
echo "   the first $qrate of them answer the questionnaire page (draw #2), the first $jrate join the group (draw #3)."
start=$(curl -sS -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d "{\"count\":$count,\"seconds\":$seconds,\"questionnaireRate\":$qrate,\"joinRate\":$jrate}" \
  "$base/sandbox/simulate/audience")
if [ "$(echo "$start" | tail -1)" != 202 ]; then echo "could not start:"; echo "$start" | head -1 | pp; exit 1; fi

while :; do
  sleep 3
  r=$(curl -fsS "$base/sandbox/simulate/audience")
  status=$(echo "$r" | field status)
  welcomes=$(echo "$r" | grep -o '"welcome":{"sent":[0-9]*' | grep -o '[0-9]*$')
  printf '  %s  %-8s added %5s/%s  questionnaires %5s  joined %5s  welcomes sent %5s  (p50 %s ms)\n' "$(date +%T)" \
    "$status" "$(echo "$r" | field added)" "$count" "$(echo "$r" | field questionnaires)" "$(echo "$r" | field joined)" \
    "$welcomes" "$(echo "$r" | field p50Ms)"
  [ "$status" = finished ] && break
done
sleep 2   # the last events' handlers finish

echo
echo "== Simulator report (implied = what the funnel and draws must show for this run)"
echo "$r" | pp
echo
echo "== Journey funnel (GET /api/v1/journey/funnel; all runs on this server's Redis)"
admin /api/v1/journey/funnel | pp
for pool in $pools; do
  echo
  echo "== Draws of pool $pool by prize (GET /api/v1/blindbox/pools/$pool/stats)"
  admin "/api/v1/blindbox/pools/$pool/stats" | pp
done
echo
echo "== Outbox (GET /api/v1/outbox/stats; messages other than welcomes wait for the end of quiet hours)"
admin /api/v1/outbox/stats | pp
