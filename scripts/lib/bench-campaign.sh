# Sourced by the campaign benchmarks (after bench-server.sh): admin API helpers, the audience seeder and a
# once campaign through the admin API. Needs $base, $token, $redis_port, target/bench.classpath.

api() { curl -sS --fail-with-body -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
# The first "name":value in a JSON document (no jq: bash + sed only); string quotes removed.
field() { { grep -o "\"$1\":[^,}]*" || true; } | head -1 | sed -E "s/^\"$1\":\"?([^\"]*)\"?$/\1/"; }

# seed_audience N SEGMENT PERSON_PREFIX EXTERNAL_PREFIX OWNER: profiles + segment set, pipelined into Redis.
seed_audience() {
  # shellcheck disable=SC2086
  java -Xmx256m -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
    io.siyu.bench.CampaignAudienceSeed "$redis_port" "$@"
}

# launch_campaign SEGMENT CHANNEL SECONDS_AHEAD: creates and launches a once campaign; prints its id.
launch_campaign() {
  local at created id
  at=$(date -u -d "+$3 seconds" +%Y-%m-%dT%H:%M:%SZ)
  created=$(api -X POST "$base/api/v1/campaigns" -d "{\"name\":\"bench\",\"goal\":{\"text\":\"下单\",\"conversionKind\":\"order\",\"conversionWindow\":\"P7D\"},\"audience\":{\"segment\":\"$1\"},
    \"content\":{\"template\":\"{name|亲爱的顾客}您好，本周会员日全场八折。\"},\"channels\":[\"$2\"],
    \"schedule\":{\"type\":\"once\",\"at\":\"$at\"},\"caps\":{\"perPerson\":1}}") \
    || { echo "campaign not created: $created" >&2; return 1; }
  id=$(echo "$created" | field id)
  api -X POST "$base/api/v1/campaigns/$id/launch" > /dev/null || { echo "launch failed" >&2; return 1; }
  echo "$id"
}

# The campaign's newest run as JSON ("" before it starts).
latest_run() { api "$base/api/v1/campaigns/$1/runs?limit=1" | sed -E 's/^\[//; s/\]$//'; }

# Epoch seconds (fractional) of an ISO instant.
epoch() { date -u -d "$1" +%s.%N; }
