# Sourced by the benchmark scripts: starts Siyu from a jar in sandbox mode on its own ports with a fresh
# embedded Redis under a work folder, stops it on exit, and waits until it is healthy.
#
#   start_bench_server JAR WORK PORT REDIS_PORT [extra Spring Boot arguments...]
#
# Uses $java_opts for the server JVM; sets $server (the pid); the log is WORK/server.log.
start_bench_server() {
  local jar=$1 work=$2 port=$3 redis_port=$4
  shift 4
  # shellcheck disable=SC2086
  java $java_opts -jar "$jar" \
    --server.port="$port" \
    --siyu.redis.embedded.port="$redis_port" \
    --siyu.redis.embedded.dir="$work/redis" \
    --siyu.wecom.mode=sandbox \
    "$@" \
    --logging.level.root=WARN > "$work/server.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
  local health="http://127.0.0.1:$port/actuator/health"
  for _ in $(seq 1 120); do
    if curl -fs "$health" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$server" 2>/dev/null; then echo "server died:"; tail -50 "$work/server.log"; exit 1; fi
    sleep 0.5
  done
  echo "server did not become healthy"; tail -50 "$work/server.log"; exit 1
}
