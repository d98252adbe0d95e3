#!/usr/bin/env bash
# Installs what is needed, builds, and runs triage on the shipped rules:
# checks rules/ and evaluates every example intake in rules/examples/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh -DTRIAGE_BUILD_TESTS=OFF
./build/triage check --rules rules
for intake in rules/examples/*.json; do
  echo "== $intake"
  ./build/triage eval --rules rules --intake "$intake"
done
