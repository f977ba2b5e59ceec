#!/usr/bin/env bash
# Runs every test: unit and integration tests on the real embedded Redis and the WeCom sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B verify "$@"
