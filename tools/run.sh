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
cat <<EOF2

Serving rules/ on $listen, audit log var/audit.db. From another terminal:
  build/triage call --server $listen --intake rules/examples/self_care_lower_back.json
  build/triage call --server $listen --intake rules/examples/urgent_fever_night_pain.json

EOF2
exec ./build/triage serve --rules rules --listen "$listen" --audit-db var/audit.db "$@"
