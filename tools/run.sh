#!/usr/bin/env bash
# Installs what is needed, builds, checks the shipped rules and runs the gRPC service on them,
# with its SQLite audit log in var/. Stop it with Ctrl-C (SIGINT) or SIGTERM: calls in flight
# finish and the log is flushed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh -DTRIAGE_BUILD_TESTS=OFF -DTRIAGE_BUILD_BENCHMARKS=OFF
./build/triage check --rules rules
mkdir -p var
listen="${TRIAGE_LISTEN:-127.0.0.1:50051}"
http_listen="${TRIAGE_HTTP_LISTEN:-127.0.0.1:8080}"
cat <<EOF2

Serving rules/ on $listen (gRPC) and $http_listen (HTTP), audit log var/audit.db.
The kiosk: http://$http_listen/kiosk/
From another terminal:
  build/triage call --server $listen --intake rules/examples/self_care_lower_back.json
  curl --json @rules/examples/urgent_fever_night_pain.json http://$http_listen/v1/evaluate

EOF2
exec ./build/triage serve --rules rules --listen "$listen" --http-listen "$http_listen" --kiosk-dir web/kiosk \
  --audit-db var/audit.db "$@"
