#!/usr/bin/env bash
# The real service against the floor, in one run: `triage loadgen` closed loop against
#   floor     build/triage_floor: gRPC answering Evaluate with prebuilt Decisions of the real size;
#   disk      `triage serve` with its durable audit log on the project's disk (var/);
#   tmpfs     `triage serve` with the log on /dev/shm (memory: what the disk's fsyncs cost);
# each at 32 and 128 calls in flight for DURATION seconds; then EvaluateBatch of 10 and of 100
# intakes on disk and tmpfs (8 batches in flight). Reports decisions/s, the server's CPU
# time per request (user + system, from /proc/PID/stat, divided by the requests answered) and the
# floor's throughput over the service's. Needs build/triage and build/triage_floor (benchmarks on).
# Usage: bash tools/bench_floor.sh [DURATION_SECONDS] [OUT_DIR]   (defaults 10, var/bench-floor);
# writes OUT_DIR/floor.md. Run it while nothing else uses the CPU (the project's build lock).
# CONCURRENCY="32 128" and BATCHES="10 100" (the environment) choose the loads; BATCHES="" skips
# the batch runs.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
out="${2:-var/bench-floor}"
mkdir -p "$out"
shm=$(mktemp -d /dev/shm/triage-bench.XXXXXX)
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$shm"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wait_serving() {
  for _ in $(seq 100); do grep -q '"serving"\| serving ' "$1" && return 0; sleep 0.1; done
  echo "server did not start: $(cat "$1")" >&2
  return 1
}

# start NAME COMMAND…: starts a server on a free port; sets $pid and $port.
start() {
  local name=$1
  shift
  port=$(free_port)
  "$@" --listen "127.0.0.1:$port" 2>"$out/$name.log" &
  pid=$!
  servers+=("$pid")
  wait_serving "$out/$name.log"
}

rm -f "$out/audit.db" "$out/audit.db-wal" "$out/audit.db-shm"
start floor build/triage_floor --rules rules
floor_pid=$pid floor_port=$port
# --max-request-bytes: room for a batch of 100 intakes (about 80 KB); single calls are unaffected.
start disk build/triage serve --rules rules --audit-db "$out/audit.db" --watch-interval-ms 0 --max-request-bytes 1048576
disk_pid=$pid disk_port=$port
start tmpfs build/triage serve --rules rules --audit-db "$shm/audit.db" --watch-interval-ms 0 --max-request-bytes 1048576
tmpfs_pid=$pid tmpfs_port=$port

: >"$out/runs.tsv"
concurrencies="${CONCURRENCY:-32 128}"
batches="${BATCHES-10 100}"
for concurrency in $concurrencies; do
  for target in floor disk tmpfs; do
    pid_var="${target}_pid" port_var="${target}_port"
    before=$(cpu_ticks "${!pid_var}")
    build/triage loadgen --server "127.0.0.1:${!port_var}" --concurrency "$concurrency" --duration "$duration" \
      >"$out/$target-$concurrency.json"
    after=$(cpu_ticks "${!pid_var}")
    printf '%s\t%s\t%s\n' "$target" "$concurrency" "$((after - before))" >>"$out/runs.tsv"
    echo "== $target, $concurrency in flight: $(cat "$out/$target-$concurrency.json")" >&2
  done
done

: >"$out/batch.tsv"
for batch in $batches; do
  for target in disk tmpfs; do
    pid_var="${target}_pid" port_var="${target}_port"
    before=$(cpu_ticks "${!pid_var}")
    build/triage loadgen --server "127.0.0.1:${!port_var}" --concurrency 8 --batch "$batch" --duration "$duration" \
      >"$out/$target-batch$batch.json"
    after=$(cpu_ticks "${!pid_var}")
    printf '%s\t%s\t%s\n' "$target" "$batch" "$((after - before))" >>"$out/batch.tsv"
    echo "== $target, batches of $batch, 8 in flight: $(cat "$out/$target-batch$batch.json")" >&2
  done
done

python3 - "$out" "$(getconf CLK_TCK)" <<'PY' >"$out/floor.md"
import json, sys
out, hz = sys.argv[1], int(sys.argv[2])
rows = {}
for line in open(out + "/runs.tsv"):
    target, concurrency, ticks = line.split()
    r = json.load(open("%s/%s-%s.json" % (out, target, concurrency)))
    rows[(target, int(concurrency))] = (r, int(ticks))
print("| server | in flight | decisions/s | p50 ms | p99 ms | errors | server CPU µs/request | floor ÷ this |")
print("|---|---|---|---|---|---|---|---|")
for concurrency in sorted({c for _, c in rows}):
    floor_rps = rows[("floor", concurrency)][0]["rps"]
    for target in ("floor", "disk", "tmpfs"):
        r, ticks = rows[(target, concurrency)]
        cpu_us = ticks / hz * 1e6 / max(r["ok"], 1)
        print("| %s | %d | %.0f | %.2f | %.2f | %s | %.0f | %.2f× |" % (
            target, concurrency, r["rps"], r["latency_ms"]["p50"], r["latency_ms"]["p99"],
            sum(r["errors"].values()) or 0, cpu_us, floor_rps / r["rps"] if r["rps"] else float("inf")))
if open(out + "/batch.tsv").read().strip():
  print()
  print("| server | EvaluateBatch of | batches in flight | decisions/s | p50 ms per batch | p99 ms | errors | server CPU µs/decision | ÷ floor's decisions/s (fewest in flight) |")
  print("|---|---|---|---|---|---|---|---|---|")
floor_rps = rows[("floor", min(c for _, c in rows))][0]["rps"]
for line in open(out + "/batch.tsv"):
    target, batch, ticks = line.split()
    r = json.load(open("%s/%s-batch%s.json" % (out, target, batch)))
    dps = r["decisions_per_s"]
    cpu_us = int(ticks) / hz * 1e6 / max(r["decisions"], 1)
    print("| %s | %s | 8 | %.0f | %.2f | %.2f | %s | %.0f | %.2f× |" % (
        target, batch, dps, r["latency_ms"]["p50"], r["latency_ms"]["p99"], sum(r["errors"].values()) or 0,
        cpu_us, floor_rps / dps if dps else float("inf")))
PY
cat "$out/floor.md"
