#!/usr/bin/env bash
# The peers side by side (issue 16): the generated rulesets of bench/generated_rules.cpp on
# json-rules-engine and zen-engine (Node, pinned in bench/peers/package-lock.json), beside triage.
#   1. build/triage_peers_export writes, per path (refer, plan) and size, the conditions as trees
#      walked from the checked ruleset, 256 intakes, the ids whose condition holds on each intake
#      (triage's compiled programs, checked against evaluate()), and triage's µs per evaluate();
#   2. bench/peers/run.mjs translates the sets for both engines, checks that every engine fires
#      exactly triage's ids on every intake (fails otherwise), and times one decision at a time.
# Needs build/triage_peers_export (benchmarks on), node and npm; installs the engines from the npm
# registry into bench/peers/node_modules (gitignored). Without node, npm or the registry it says why
# and exits 3, so tools/bench.sh carries on. Run it while nothing else uses the CPU (the build lock).
# Usage: bash tools/bench_peers.sh [OUT_DIR] [RULES]   (defaults var/bench-peers and 100,500,2000);
# writes OUT_DIR/peers.md and OUT_DIR/peers.json. RUNS and RUN_MS (environment) set the timing:
# median of RUNS runs of RUN_MS milliseconds each (defaults 5 and 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-var/bench-peers}"
rules="${2:-100,500,2000}"
runs="${RUNS:-5}"
run_ms="${RUN_MS:-1000}"
mkdir -p "$out"
skip() {
  echo "peers skipped: $1" | tee "$out/peers.md" >&2
  exit 3
}
command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"
# `npm ci` refuses this lock: it lists zen-engine's prebuilt binary for this platform only (the
# registry this was locked against serves no other), so npm ci finds the others missing. `npm
# install --no-save` installs the locked versions and integrity hashes and leaves the lock as is.
if [ ! -d bench/peers/node_modules/@gorules/zen-engine ] || [ ! -d bench/peers/node_modules/json-rules-engine ]; then
  (cd bench/peers && npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-save --no-audit --no-fund >&2) \
    || skip "npm could not install json-rules-engine and zen-engine (no network or registry?)"
fi
build/triage_peers_export "$out" --rules "$rules" --runs "$runs" --run-ms "$((run_ms / 3))"
node bench/peers/run.mjs "$out" --runs "$runs" --run-ms "$run_ms" --json "$out/peers.json" > "$out/peers.md"
cat "$out/peers.md"
