#!/usr/bin/env bash
# Starts Siyu. Builds the jar when the sources are newer than it. With no Redis configured it starts the
# embedded redis-server (data in ./data/redis); with no real WeCom credentials it runs the WeCom sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/siyu.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml src -newer "$jar" -type f -print -quit)" ]; then
  mvn -B -q -DskipTests package
fi
exec java ${JAVA_OPTS:-} -jar "$jar" "$@"
